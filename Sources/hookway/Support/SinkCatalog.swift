import HookwayCore
import HookwaySinks
import Logging

/// Builds the sink of a `sinks` entry by its kind.
enum SinkCatalog {
    static func make(_ config: SinkConfig, logger: Logger) throws -> any Sink {
        switch config.kind {
        case .accounting: return try LedgerSink.make(config)
        case .email, .crm: throw SinkError.permanent("\(config.kind.rawValue) sinks are not in this build yet")
        }
    }
}
