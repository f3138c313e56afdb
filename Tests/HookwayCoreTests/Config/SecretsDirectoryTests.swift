import Foundation
import HookwayCore
import HookwayRuntime
import Testing

/// `HOOKWAY_SECRETS_DIR`: `env:NAME` reads `$HOOKWAY_SECRETS_DIR/NAME` when the variable is
/// unset — a Kubernetes Secret mounted as files — and the file is watched like a `file:` one.
@Suite struct SecretsDirectoryTests {
    static func routes(_ secret: String) -> [UInt8] {
        Array(#"{"version":1,"sources":{"b":{"provider":"bitnob","secrets":["\#(secret)"]}},"routes":[{"name":"all","match":{},"to":["t"]}]}"#.utf8)
    }

    static func secretsDirectory(_ files: [String: String]) throws -> String {
        let dir = NSTemporaryDirectory() + "secrets-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, value) in files { try value.write(toFile: "\(dir)/\(name)", atomically: true, encoding: .utf8) }
        return dir
    }

    @Test func anUnsetVariableIsReadFromTheDirectory() throws {
        let dir = try Self.secretsDirectory(["BITNOB_WEBHOOK_SECRET": "from-file\n"])
        let result = RoutesConfigLoader.parse(Self.routes("env:BITNOB_WEBHOOK_SECRET"), environment: ["HOOKWAY_SECRETS_DIR": dir])
        let source = try #require(result.config?.sources["b"], "\(result.problems)")
        #expect(source.secrets.first?.bytes == Array("from-file".utf8))
        #expect(source.secrets.first?.reference == "env:BITNOB_WEBHOOK_SECRET")
        #expect(result.config?.referencedFiles == ["\(dir)/BITNOB_WEBHOOK_SECRET"])
    }

    @Test func aSetVariableWins() throws {
        let dir = try Self.secretsDirectory(["BITNOB_WEBHOOK_SECRET": "from-file"])
        let result = RoutesConfigLoader.parse(
            Self.routes("env:BITNOB_WEBHOOK_SECRET"),
            environment: ["HOOKWAY_SECRETS_DIR": dir, "BITNOB_WEBHOOK_SECRET": "from-env"]
        )
        #expect(result.config?.sources["b"]?.secrets.first?.bytes == Array("from-env".utf8))
        #expect(result.config?.referencedFiles == [])
    }

    @Test func aMissingFileNamesBoth() throws {
        let dir = try Self.secretsDirectory([:])
        let result = RoutesConfigLoader.parse(Self.routes("env:NOPE"), environment: ["HOOKWAY_SECRETS_DIR": dir])
        #expect(result.errors.contains { $0.message.contains("NOPE is not set") && $0.message.contains("\(dir)/NOPE") }, "\(result.problems)")
    }

    @Test(arguments: ["env:../etc/passwd", "env:a/b"])
    func namesCannotLeaveTheDirectory(_ reference: String) throws {
        let dir = try Self.secretsDirectory([:])
        let result = RoutesConfigLoader.parse(Self.routes(reference), environment: ["HOOKWAY_SECRETS_DIR": dir])
        #expect(result.config == nil)
        #expect(result.errors.allSatisfy { !$0.message.contains(dir) }, "\(result.problems)")
    }
}
