import Foundation
import HookwayCore
import HookwayRuntime
import Testing

@testable import HookwayProviders

/// `publicKeys` per provider: Standard Webhooks' `whpk_` list, Bitso's key id map.
@Suite struct PublicKeysConfigTests {
    static let whpk = "whpk_" + Data(repeating: 7, count: 32).base64EncodedString()

    func load(_ source: String, environment: [String: String] = [:], dir: String = ".") -> RoutesConfigLoader.Result {
        RoutesConfigLoader.parse(
            Array(#"{"version":1,"sources":{"s":\#(source)},"routes":[{"name":"all","match":{},"to":["t"]}]}"#.utf8),
            baseDirectory: dir,
            environment: environment
        )
    }

    @Test func standardWebhooksKeysAloneAuthenticate() throws {
        let result = load(#"{"provider":"standardwebhooks","publicKeys":["\#(Self.whpk)","env:K"]}"#, environment: ["K": Self.whpk])
        let source = try #require(result.config?.sources["s"], "\(result.problems)")
        #expect(source.standardWebhooks.ed25519PublicKeys == [Array(repeating: 7, count: 32), Array(repeating: 7, count: 32)])
        #expect(source.secrets.isEmpty)
    }

    @Test(arguments: [
        (#"["whpk_AAAA"]"#, "$.sources.s.publicKeys[0]"),
        (#"["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]"#, "$.sources.s.publicKeys[0]"),
        (#"[]"#, "$.sources.s.publicKeys"),
        (#""whpk_x""#, "$.sources.s.publicKeys"),
    ])
    func badStandardWebhooksKeysAreNamed(_ keys: String, _ path: String) {
        let result = load(#"{"provider":"standardwebhooks","secrets":["env:S"],"publicKeys":\#(keys)}"#, environment: ["S": "c2VjcmV0"])
        #expect(result.config == nil)
        #expect(result.errors.map(\.path).contains(path), "\(result.problems)")
    }

    @Test func aStandardWebhooksSourceNeedsASecretOrAKey() {
        let result = load(#"{"provider":"standardwebhooks"}"#)
        #expect(result.errors.contains { $0.path == "$.sources.s" && $0.message.contains("public key (v1a)") }, "\(result.problems)")
    }

    @Test func bitsoKeysByIdAcceptPEMAndBase64DER() throws {
        let der = Data((0..<300).map { UInt8($0 & 0xFF) }).base64EncodedString()
        let pem = "-----BEGIN PUBLIC KEY-----\n\(der)\n-----END PUBLIC KEY-----"
        let result = load(#"{"provider":"bitso","publicKeys":{"a":"env:A","b":"env:B"}}"#, environment: ["A": pem, "B": der])
        let source = try #require(result.config?.sources["s"], "\(result.problems)")
        #expect(source.bitso.publicKeys["a"] == pem)
        #expect(source.bitso.publicKeys["b"]?.hasPrefix("-----BEGIN PUBLIC KEY-----\n") == true)
        #expect(source.bitso.publicKeys["b"]?.split(separator: "\n").dropFirst().first?.count == 64)
    }

    @Test func referencedFilesAreListedForTheWatcher() throws {
        let dir = NSTemporaryDirectory() + "pk-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "s3cret\n".write(toFile: dir + "/secret", atomically: true, encoding: .utf8)
        let result = load(#"{"provider":"bitnob","secrets":["file:secret","file:\#(dir)/secret"]}"#, dir: dir)
        // The relative and the absolute spelling name one file: it is watched once.
        #expect(result.config?.referencedFiles == [dir + "/secret"], "\(result.problems)")
    }
}
