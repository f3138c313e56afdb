public import HookwayCore
import Logging

extension SinkKind {
    /// Checks events against the provider's own API and republishes them with the result.
    public static let confirm: SinkKind = "confirm"
}

/// The `confirm` kind in routes.json.
public struct ConfirmSinkModule: SinkModule {
    public let kind = SinkKind.confirm
    public let optionKeys: Set<String> = ["outputTopic", "source", "match", "notFoundWindowMs", "notFoundIntervalMs"]

    public init() {}

    public func validateOptions(_ value: JSONValue, sink: SinkConfig, at path: String, reader: inout ConfigReader) {
        _ = reader.confirmOptions(value, at: path)
    }

    /// The named source must exist and have `api`; without a named source, at least one source
    /// must have `api` (each event is checked against its own source's).
    public func crossCheck(_ sink: SinkConfig, in config: RoutesConfig, at path: String, reader: inout ConfigReader) {
        // A source that failed to read is missing here: its own errors say why, not this check.
        guard !reader.hasErrors() else { return }
        if let name = sink.options["source"]?.stringValue {
            guard let source = config.sources[name] else {
                reader.error("\(path).source", "no source named \"\(name)\"; sources: \(config.sourceNames.joined(separator: ", "))")
                return
            }
            if source.api == nil { reader.error("\(path).source", "source \"\(name)\" has no \"api\" entry to confirm against") }
        } else if !config.sources.values.contains(where: { $0.api != nil }) {
            reader.error(path, "no source has an \"api\" entry; a confirm sink asks the provider's API of the event's source")
        }
    }

    public func make(_ config: SinkConfig, context: SinkContext) throws -> any Sink {
        try ConfirmSink.make(config, context: context)
    }
}
