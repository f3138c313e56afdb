import Foundation
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
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}
