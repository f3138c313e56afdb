/// The providers and sink kinds a routes file may name, with the validation of their own keys.
///
/// HookwayCore knows none of them: the process assembles the schema from the provider and sink
/// registries (`RoutesSchema.hookway` in HookwayRuntime) and passes it to ``RoutesConfigLoader``.
public struct RoutesSchema: Sendable {
    public let providers: [String: any ProviderDescriptor]
    /// Provider names in registry order, for messages.
    public let providerNames: [String]
    public let sinks: [String: any SinkDescriptor]
    /// Sink kinds in registry order, for messages.
    public let sinkKinds: [String]

    public init(providers: [any ProviderDescriptor], sinks: [any SinkDescriptor]) {
        self.providers = Dictionary(providers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.providerNames = providers.map(\.name)
        self.sinks = Dictionary(sinks.map { ($0.kind.rawValue, $0) }, uniquingKeysWith: { first, _ in first })
        self.sinkKinds = sinks.map(\.kind.rawValue)
    }
}

/// What routes.json knows of a sink kind: its name and the validation of its own keys.
/// Each sink's folder in HookwaySinks has one.
public protocol SinkDescriptor: Sendable {
    /// The `kind` value of a sink (`"email"`).
    var kind: SinkKind { get }
    /// Keys of a `sinks` entry this kind accepts besides the common ones.
    var optionKeys: Set<String> { get }
    /// Validates this kind's keys of the entry `value` at `path`, reporting to `reader`.
    func validateOptions(_ value: JSONValue, sink: SinkConfig, at path: String, reader: inout ConfigReader)
    /// Checks what this sink's options name elsewhere in the file (a source, a topic), once
    /// everything is read.
    func crossCheck(_ sink: SinkConfig, in config: RoutesConfig, at path: String, reader: inout ConfigReader)
}

extension SinkDescriptor {
    public func crossCheck(_ sink: SinkConfig, in config: RoutesConfig, at path: String, reader: inout ConfigReader) {}
}
