public import HookwayCore

/// Bitso in routes.json: `publicKeys` (RSA keys by key id, or Bitso's key list as a file),
/// and Bitso's answer rules — it waits 5 s, retries only 5xx and timeouts, and loses the
/// event after any 4xx.
public struct BitsoProvider: ProviderDescriptor {
    public static let name = "bitso"
    public var name: String { Self.name }
    public var api: APIDescriptor? { BitsoAPI.descriptor }
    public let optionKeys: Set<String> = ["publicKeys"]
    /// Answer within 4 s of Bitso's 5 s; a 4xx is logged as an error (the event is gone).
    public let traits = ProviderTraits(dropsEventOn4xx: true, answerDeadlineMs: 4000)

    public init() {}

    public func readOptions(_ members: [JSONMember], source: SourceConfig, at path: String, reader: inout ConfigReader) -> any ProviderOptions {
        var options = BitsoOptions()
        for m in members where m.key == "publicKeys" {
            options.publicKeys = reader.rsaPublicKeys(m.value, at: ConfigReader.child(path, m.key))
        }
        return options
    }

    public func checkAuthentication(of source: SourceConfig, at path: String, reader: inout ConfigReader) {
        let keys = source.options(as: BitsoOptions.self)?.publicKeys ?? [:]
        if source.token == nil, source.allowFrom.isEmpty, keys.isEmpty {
            reader.error(path, "no authentication: set \"token\", \"allowFrom\" or \"publicKeys\"")
        }
    }
}

/// Bitso's own keys of a source.
public struct BitsoOptions: ProviderOptions {
    /// RSA public keys (PEM text) by key id; when present a signature is required.
    public var publicKeys: [String: String]

    public init(publicKeys: [String: String] = [:]) {
        self.publicKeys = publicKeys
    }
}

extension SourceConfig {
    /// This source's Bitso options (the defaults when it has none).
    var bitso: BitsoOptions { options(as: BitsoOptions.self) ?? BitsoOptions() }
}
