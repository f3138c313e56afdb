public import HookwayCore

/// Bit Capital in routes.json: `signedPath`, for a proxy that rewrites the signed path.
public struct BitCapitalProvider: ProviderDescriptor {
    public static let name = "bitcapital"
    public var name: String { Self.name }
    public var api: APIDescriptor? { BitCapitalAPI.descriptor }
    public let optionKeys: Set<String> = ["signedPath"]

    public init() {}

    public func readOptions(_ members: [JSONMember], source: SourceConfig, at path: String, reader: inout ConfigReader) -> any ProviderOptions {
        var options = BitCapitalOptions()
        for m in members where m.key == "signedPath" {
            let p = ConfigReader.child(path, m.key)
            if let s = reader.nonEmptyString(m.value, at: p) {
                if s.hasPrefix("/") { options.signedPath = s } else { reader.error(p, "must start with '/'") }
            }
        }
        return options
    }

    public func checkAuthentication(of source: SourceConfig, at path: String, reader: inout ConfigReader) {
        reader.requireSecrets(of: source, provider: name, at: path)
    }
}

/// Bit Capital's own keys of a source.
public struct BitCapitalOptions: ProviderOptions {
    /// The path the provider signed, when a proxy rewrites it.
    public var signedPath: String?

    public init(signedPath: String? = nil) {
        self.signedPath = signedPath
    }
}

extension SourceConfig {
    /// This source's BitCapital options (the defaults when it has none).
    var bitCapital: BitCapitalOptions { options(as: BitCapitalOptions.self) ?? BitCapitalOptions() }
}
