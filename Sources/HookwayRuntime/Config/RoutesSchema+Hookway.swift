public import HookwayCore
import HookwayProviders
import HookwaySinks

extension RoutesSchema {
    /// Every provider and sink kind Hookway ships: the schema `serve`, `consume` and
    /// `routes check` read routes.json with.
    public static let hookway = RoutesSchema(providers: ProviderRegistry.descriptors, sinks: SinkRegistry.all)
}

extension RoutesConfigLoader {
    /// Loads the file at `path` with the ``RoutesSchema/hookway`` schema.
    public static func load(path: String, environment: [String: String]? = nil) -> Result {
        load(path: path, schema: .hookway, environment: environment)
    }

    /// Validates routes.json text with the ``RoutesSchema/hookway`` schema.
    public static func parse(_ bytes: [UInt8], baseDirectory: String = ".", environment: [String: String]? = nil) -> Result {
        parse(bytes, schema: .hookway, baseDirectory: baseDirectory, environment: environment)
    }
}
