/// A stable, machine-readable error code (`spool_unavailable`, `invalid_signature`): what
/// scripts, alerts and dead-letter consumers match on. Messages may change; codes do not.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
}

/// The shape of every Hookway product error: a stable ``code``, a ``message`` that says what
/// failed and where (a path, a topic, a file, an event id — never a secret), and whether doing
/// the same thing again may succeed.
///
/// Each surface renders it in one place: the HTTP body (``WebhookError/jsonBody``, from the
/// ingress's responder), the CLI (`fail` in the `hookway` command: one stderr line
/// `hookway <command>: <context>: <message> [<code>]`, a critical log line with `code`,
/// `error` and `retriable`, and the exit code), the per-request and per-delivery log lines
/// (`code` and `reason`/`error` metadata) and the dead-letter headers (`hookway_error_code`,
/// `hookway_error`, `hookway_error_permanent`). HookwayKafka's `KafkaError`
/// has the same three parts under its own code type (that module depends on nothing of ours).
public protocol HookwayError: Error, Sendable, CustomStringConvertible {
    var code: ErrorCode { get }
    var message: String { get }
    /// Whether the same operation may succeed if tried again (a full spool, a busy database, a
    /// 5xx); `false` for what will fail the same way every time.
    var isRetriable: Bool { get }
}
