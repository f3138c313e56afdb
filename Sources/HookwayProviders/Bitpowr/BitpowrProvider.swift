public import HookwayCore

/// Bitpowr in routes.json: no keys of its own; its signature is optional, so a source needs a
/// secret, a URL token or an address allow-list.
public struct BitpowrProvider: ProviderDescriptor {
    public static let name = "bitpowr"
    public var name: String { Self.name }
    public var api: APIDescriptor? { BitpowrAPI.descriptor }

    public init() {}

    public func checkAuthentication(of source: SourceConfig, at path: String, reader: inout ConfigReader) {
        if source.secrets.isEmpty, source.token == nil, source.allowFrom.isEmpty {
            reader.error(path, "no authentication: set \"secrets\", \"token\" or \"allowFrom\"")
        }
    }
}
