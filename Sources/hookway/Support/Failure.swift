import ArgumentParser
import HookwayCore
import HookwayKafka
import Logging

/// The CLI's rendering of a failure, in one place: one stderr line
/// `hookway <command>: <context>: <message> [<code>]`, a critical log line with the error's
/// code, message and retriability, and the exit code to leave with.
func fail(_ error: any Error, logger: Logger, context: String, exitCode: Int32) -> ExitCode {
    let (code, message, retriable) = describe(error)
    logger.critical("\(context)", metadata: ["code": "\(code)", "error": "\(message)", "retriable": "\(retriable)"])
    printError("\(commandName(logger)): \(context): \(message) [\(code)]")
    return ExitCode(exitCode)
}

/// Code, message and retriability of any error: a ``HookwayError`` or a `KafkaError` as
/// they are; anything else is `internal` (and not retriable: a failure we cannot classify is
/// not a success either).
func describe(_ error: any Error) -> (code: String, message: String, retriable: Bool) {
    switch error {
    case let error as any HookwayError: return (error.code.rawValue, error.message, error.isRetriable)
    case let error as KafkaError: return (error.code.name, error.message, error.isRetriable)
    default: return ("internal", "\(error)", false)
    }
}

/// `hookway serve` for the logger `hookway.serve`.
private func commandName(_ logger: Logger) -> String {
    "hookway " + (logger.label.split(separator: ".").last.map(String.init) ?? "")
}
