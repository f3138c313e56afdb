public import HookwayCore
import Logging

extension SinkKind {
    /// Every event's journey in SQL, for `hookway trace` and `hookway events`.
    public static let index: SinkKind = "index"
}

/// The `index` kind in routes.json.
public struct IndexSinkModule: SinkModule {
    public let kind = SinkKind.index
    public let optionKeys: Set<String> = ["database", "retentionDays", "batchSize"]

    public init() {}

    public func validateOptions(_ value: JSONValue, sink: SinkConfig, at path: String, reader: inout ConfigReader) {
        _ = reader.indexOptions(value, at: path, baseDirectory: sink.baseDirectory)
    }

    public func make(_ config: SinkConfig, context: SinkContext) throws -> any Sink {
        try IndexSink.make(config, outcomeTopic: context.routes?.kafka.outcomeTopic, logger: context.logger)
    }
}
