# syntax=docker/dockerfile:1
# The hookway runtime image. `make image` builds it with podman or docker and needs no image
# registry: BASE is a Debian 13 (trixie) root made locally (scripts/image), and the binary is
# built on the host with the static Swift standard library. With a registry,
# BASE=debian:trixie-slim works the same.
#
# Stage 1 installs Debian's runtime packages (librdkafka 2.8, SQLite, CA certificates); stage 2
# keeps only what hookway loads — its shared-library closure as Debian ships it, with the
# packages' copyright files. No shell, no package manager, nothing else to patch: the health
# check is `hookway probe`, and `podman exec … hookway …` runs any other command.
ARG BASE=debian:trixie-slim
FROM ${BASE} AS runtime-packages
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      librdkafka1 libsqlite3-0 ca-certificates
COPY hookway /usr/local/bin/hookway
RUN set -eu; \
    R=/rootfs; \
    mkdir -p $R/usr/bin $R/usr/local/bin $R/usr/lib/x86_64-linux-gnu $R/usr/lib64 $R/etc/ssl/certs \
             $R/tmp $R/var/lib/hookway/spool $R/var/lib/hookway/var $R/etc/hookway $R/usr/share/doc; \
    ln -s usr/bin $R/bin; ln -s usr/lib $R/lib; ln -s usr/lib64 $R/lib64; chmod 1777 $R/tmp; \
    cp /usr/local/bin/hookway $R/usr/local/bin/hookway; \
    libs=$(ldd /usr/local/bin/hookway | awk '$2 == "=>" && $3 ~ /^\// {print $3}'); \
    for lib in $libs; do cp -L "$lib" "$R/usr/lib/x86_64-linux-gnu/$(basename "$lib")"; done; \
    cp -L /lib64/ld-linux-x86-64.so.2 $R/usr/lib64/; \
    for lib in $libs /lib64/ld-linux-x86-64.so.2; do dpkg -S "$(readlink -f "$lib")" 2>/dev/null | cut -d: -f1; done \
      | sort -u | while read -r pkg; do \
          mkdir -p "$R/usr/share/doc/$pkg"; cp "/usr/share/doc/$pkg/copyright" "$R/usr/share/doc/$pkg/" 2>/dev/null || true; \
        done; \
    echo /usr/lib/x86_64-linux-gnu > $R/etc/ld.so.conf; ldconfig -r $R; \
    cp /etc/ssl/certs/ca-certificates.crt $R/etc/ssl/certs/; \
    printf 'root:x:0:0:root:/root:/sbin/nologin\nhookway:x:10001:0:hookway:/var/lib/hookway:/sbin/nologin\n' > $R/etc/passwd; \
    printf 'root:x:0:\n' > $R/etc/group; \
    printf 'hosts: files dns\n' > $R/etc/nsswitch.conf; \
    cp /etc/debian_version $R/etc/debian_version; cp /usr/lib/os-release $R/etc/os-release; \
    chown -R 10001:0 $R/var/lib/hookway; chmod -R 0770 $R/var/lib/hookway

FROM scratch
ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="hookway" \
      org.opencontainers.image.description="Webhook router for payment and crypto providers: verify, normalize to CloudEvents, publish to Kafka" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="https://github.com/hookway/hookway" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="debian:trixie"
COPY --from=runtime-packages /rootfs/ /
COPY routes.json /etc/hookway/routes.json
USER 10001
WORKDIR /var/lib/hookway
# The spool (/var/lib/hookway/spool) and the ledger/outbox (/var/lib/hookway/var) are the only
# places written: mount volumes there and the root filesystem can be read-only. No VOLUME line:
# it would leave an anonymous volume behind every container that does not mount both, and a
# read-only `serve` without a spool volume refuses to start (exit 1, naming the path) instead.
ENV HOOKWAY_CONFIG=/etc/hookway/routes.json \
    HOOKWAY_SPOOL_PATH=/var/lib/hookway/spool \
    HOOKWAY_LOG_FORMAT=json \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
EXPOSE 8080 9464
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/hookway", "probe", "--quiet", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/usr/local/bin/hookway"]
CMD ["serve"]
