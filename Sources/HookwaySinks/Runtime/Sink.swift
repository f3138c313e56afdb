public import HookwayCore

/// A destination for events: email, CRM, the ledger, or your own. The runtime calls `deliver`
/// for each event in partition-key order, retries what fails transiently, and dead-letters what
/// fails permanently or too often. Implementations must be idempotent on `event.id`: delivery
/// is at-least-once.
public protocol Sink: Sendable {
    /// Delivers one event; throws ``SinkError`` saying whether a retry could help.
    func deliver(_ event: Event) async throws(SinkError)
    /// Releases connections and files; called once when the sink stops.
    func shutdown() async
    /// The resolved secrets the sink holds (`{env:…}`/`{file:…}` values in URLs, headers,
    /// passwords): the runtime scrubs them from every error it logs or dead-letters.
    var secrets: [Secret] { get }
}

extension Sink {
    public func shutdown() async {}
    public var secrets: [Secret] { [] }
}

/// Why a delivery failed, and whether trying again could help.
public struct SinkError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// A bad template, a 4xx, an unbalanced posting: retrying cannot help, dead-letter now.
    public var isPermanent: Bool
    /// The destination asked for a pause (HTTP `Retry-After`).
    public var retryAfter: Duration?

    public init(_ message: String, permanent: Bool, retryAfter: Duration? = nil) {
        self.message = message
        self.isPermanent = permanent
        self.retryAfter = retryAfter
    }

    public static func transient(_ message: String, retryAfter: Duration? = nil) -> SinkError { SinkError(message, permanent: false, retryAfter: retryAfter) }
    public static func permanent(_ message: String) -> SinkError { SinkError(message, permanent: true) }

    public var description: String { "\(isPermanent ? "permanent" : "transient"): \(message)" }
}
