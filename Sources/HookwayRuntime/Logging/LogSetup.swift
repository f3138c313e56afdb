import Foundation
import HookwayTracing
public import Logging

/// Bootstraps swift-log once: level from `HOOKWAY_LOG_LEVEL` (default info), format from
/// `HOOKWAY_LOG_FORMAT` (`text` on a terminal, `json` otherwise).
public enum LogSetup {
    /// Bootstraps the logging system (once per process) and returns the process logger.
    public static func bootstrap(label: String) -> Logger {
        let env = ProcessInfo.processInfo.environment
        let level = env["HOOKWAY_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let json: Bool
        switch env["HOOKWAY_LOG_FORMAT"] {
        case "json": json = true
        case "text": json = false
        default: json = isatty(STDERR_FILENO) == 0
        }
        // Every line written inside a span carries its trace_id and span_id (issue 30).
        LoggingSystem.bootstrap(
            { label, provider in
                var handler: any LogHandler
                if json {
                    var jsonHandler = JSONLogHandler(label: label)
                    jsonHandler.metadataProvider = provider
                    handler = jsonHandler
                } else {
                    handler = StreamLogHandler.standardError(label: label, metadataProvider: provider)
                }
                handler.logLevel = level
                return handler
            },
            metadataProvider: .traceIDs
        )
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}
