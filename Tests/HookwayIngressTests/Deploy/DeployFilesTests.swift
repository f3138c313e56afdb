import Foundation
import HookwayTesting
import Testing

/// The deployment files are checked with what this machine has: the compose file with the
/// compose client, the image's runtime packages against the distribution's package index.
struct DeployFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    static func run(_ command: String) throws -> (status: Int32, output: String) {
        try ShellCommand.run("/bin/bash", ["-c", command], in: root)
    }

    @Test func composeFileIsValid() throws {
        let result = try Self.run(
            """
            tmp=$(mktemp -d); cp -r docker-compose.yml deploy Dockerfile "$tmp"/; cp deploy/secrets.env.example "$tmp"/deploy/secrets.env
            cp deploy/keys/bitso-webhook-keys.json.example "$tmp"/deploy/keys/bitso-webhook-keys.json
            cd "$tmp" && if docker compose version >/dev/null 2>&1; then docker compose config -q; else docker-compose config -q; fi
            """
        )
        #expect(result.status == 0, "\(result.output)")
    }

    @Test func composeRoutesFileValidates() throws {
        let result = try Self.run(
            """
            tmp=$(mktemp -d); cp -r deploy "$tmp"/; cp deploy/keys/bitso-webhook-keys.json.example "$tmp"/deploy/keys/bitso-webhook-keys.json
            set -a; . deploy/secrets.env.example; set +a; .build/debug/hookway routes check --config "$tmp"/deploy/routes.json
            """
        )
        #expect(result.status == 0, "\(result.output)")
    }

    /// The Kubernetes manifests and the compose file, parsed: a StatefulSet with a spool claim per
    /// replica, ConfigMap-directory config, Secrets as files, probes, requests, budgets.
    @Test func kubernetesManifestsAndComposeVolumesHoldTogether() throws {
        let result = try Self.run(".tools/venv/bin/python scripts/checks/deploy-manifests.py .")
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains(#""problems": 0"#), "\(result.output)")
    }

    /// Every package the image's runtime stage installs exists in the distribution's index.
    @Test func dockerfileRuntimePackagesExist() throws {
        let result = try Self.run(
            """
            pkgs=$(awk '/^FROM /{rt=1} rt && /apt-get install/{f=1} f{print} f && !/\\\\$/{f=0}' Dockerfile \
              | tr ' \\\\' '\\n\\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vE '^(apt-get|install|rm|useradd|DEBIAN_FRONTEND.*)$' | sort -u)
            [ -n "$pkgs" ] || { echo "no packages parsed"; exit 1; }
            for p in $pkgs; do apt-cache show "$p" >/dev/null 2>&1 || { echo "missing package: $p"; exit 1; }; done
            echo "$pkgs"
            """
        )
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("librdkafka1"))
    }
}
