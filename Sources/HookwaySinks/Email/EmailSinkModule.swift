public import HookwayCore
import Logging

extension SinkKind {
    /// Mail rendered from Mustache templates, over SMTP or into an outbox directory.
    public static let email: SinkKind = "email"
}

/// The `email` kind in routes.json.
public struct EmailSinkModule: SinkModule {
    public let kind = SinkKind.email
    public let optionKeys: Set<String> = [
        "smtp", "from", "to", "cc", "subject", "body", "html", "bodyFile", "htmlFile", "outbox", "strict", "sentLog",
    ]

    public init() {}

    public func validateOptions(_ value: JSONValue, sink: SinkConfig, at path: String, reader: inout ConfigReader) {
        _ = reader.emailOptions(value, at: path, baseDirectory: sink.baseDirectory)
    }

    public func make(_ config: SinkConfig, context: SinkContext) throws -> any Sink {
        try EmailSink.make(config, logger: context.logger)
    }
}
