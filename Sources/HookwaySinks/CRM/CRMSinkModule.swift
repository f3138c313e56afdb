public import HookwayCore
import Logging

extension SinkKind {
    /// One HTTP request per event, built from `{path}` templates.
    public static let crm: SinkKind = "crm"
}

/// The `crm` kind in routes.json.
public struct CRMSinkModule: SinkModule {
    public let kind = SinkKind.crm
    public let optionKeys: Set<String> = ["url", "method", "headers", "body", "timeoutMs", "successStatus"]

    public init() {}

    public func validateOptions(_ value: JSONValue, sink: SinkConfig, at path: String, reader: inout ConfigReader) {
        _ = reader.crmOptions(value, at: path)
    }

    public func make(_ config: SinkConfig, context: SinkContext) throws -> any Sink {
        try CRMSink.make(config, logger: context.logger)
    }
}
