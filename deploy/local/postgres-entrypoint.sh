#!/bin/sh
set -eu
PGDATA=/var/lib/postgresql/data
BIN=/usr/lib/postgresql/17/bin
chown -R postgres:postgres "$PGDATA" /run/postgresql
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  printf '%s' "${POSTGRES_PASSWORD:?}" > /tmp/pw && chown postgres /tmp/pw
  su postgres -s /bin/sh -c "$BIN/initdb -D $PGDATA -U ${POSTGRES_USER:-postgres} --pwfile=/tmp/pw -A scram-sha-256 >/dev/null"
  rm -f /tmp/pw
  echo "host all all 0.0.0.0/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
  su postgres -s /bin/sh -c "$BIN/pg_ctl -D $PGDATA -o '-c listen_addresses=' -w start >/dev/null"
  su postgres -s /bin/sh -c "PGPASSWORD='$POSTGRES_PASSWORD' $BIN/psql -qU ${POSTGRES_USER:-postgres} -d postgres -c 'CREATE DATABASE \"${POSTGRES_DB:-postgres}\"'" || true
  su postgres -s /bin/sh -c "$BIN/pg_ctl -D $PGDATA -w stop >/dev/null"
fi
exec su postgres -s /bin/sh -c "exec $BIN/postgres -D $PGDATA -c listen_addresses='*'"
