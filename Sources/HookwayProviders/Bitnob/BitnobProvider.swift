public import HookwayCore

/// Bitnob in routes.json: no keys of its own; every delivery is signed.
public struct BitnobProvider: ProviderDescriptor {
    public static let name = "bitnob"
    public var name: String { Self.name }
    public var api: APIDescriptor? { BitnobAPI.descriptor }

    public init() {}

    public func checkAuthentication(of source: SourceConfig, at path: String, reader: inout ConfigReader) {
        reader.requireSecrets(of: source, provider: name, at: path)
    }
}
