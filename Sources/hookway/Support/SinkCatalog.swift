import HookwayCore
import HookwaySinks
import Logging

/// Builds the sink of a `sinks` entry by its kind.
enum SinkCatalog {
    static func make(_ config: SinkConfig, logger: Logger) throws -> any Sink {
        switch config.kind {
        case .accounting: return try LedgerSink.make(config, logger: logger)
        case .email: return try EmailSink.make(config, logger: logger)
        case .crm: return try CRMSink.make(config, logger: logger)
        }
    }
}
