public import HookwayCore

/// A provider's REST API as Hookway uses it: fetch the entity an event is about (the `confirm`
/// sink) and list recent entities (`hookway reconcile`). One client per provider, in its
/// folder, with the provider's documented authentication.
public protocol ProviderAPI: Sendable {
    /// The entity `event` is about, as the API tells it now; `nil` when the API does not know it
    /// (404, or an empty result where the provider answers lists).
    func fetch(_ event: Event) async throws(APIError) -> APIEntity?
    /// One page of the provider's recent entities, newest first; `cursor` is the previous
    /// page's ``APIPage/next`` (`nil` for the first page).
    func list(cursor: String?) async throws(APIError) -> APIPage
    /// The CloudEvent the provider's webhook would have produced for `entity` — the same
    /// deterministic id — or `nil` when its webhook's event name cannot be told from the API.
    func event(for entity: APIEntity, source: SourceConfig, at now: Timestamp) -> Event?
    /// Whether the webhook's status and the API's (both lower-case) say the same thing; the
    /// default is equality, providers whose two vocabularies differ map them.
    func statusMatches(event: String, api: String) -> Bool
    /// Asks the provider to deliver again the webhooks of `from`…`to` it could not deliver
    /// (`hookway reconcile --replay`); with `dryRun`, only asks what would be resent. Providers
    /// without a documented replay API throw `api_unsupported`.
    func replay(from: Timestamp, to: Timestamp, dryRun: Bool) async throws(APIError) -> [ReplayRequest]
    /// Whether this provider's webhooks carry the amount: when they do, an event without one
    /// (left out as too long, or not derivable) cannot be confirmed as matching.
    var webhooksCarryAmount: Bool { get }
    /// What differs in direction (debit or credit) between the event and the API's entity, when
    /// both say; `nil` when they agree or one side does not say.
    func directionDifference(event: Event, entity: APIEntity) -> String?
    /// Closes the connection pool.
    func shutdown() async
}

extension ProviderAPI {
    public func list(cursor: String?) async throws(APIError) -> APIPage {
        throw APIError(code: .apiUnsupported, "this provider's API has no documented list endpoint Hookway can page", retriable: false)
    }
    public func event(for entity: APIEntity, source: SourceConfig, at now: Timestamp) -> Event? { nil }
    public func statusMatches(event: String, api: String) -> Bool { event == api }
    public var webhooksCarryAmount: Bool { false }
    public func directionDifference(event: Event, entity: APIEntity) -> String? { nil }
    public func replay(from: Timestamp, to: Timestamp, dryRun: Bool) async throws(APIError) -> [ReplayRequest] {
        throw APIError(
            code: .apiUnsupported,
            "this provider documents no webhook replay API; `hookway reconcile` without --replay recovers missed webhooks from its entities",
            retriable: false
        )
    }
}

/// An entity as the provider's API tells it, normalized the way webhooks are: lower-case
/// status in the webhook's vocabulary, exact decimal amount in major units, currency as sent.
public struct APIEntity: Sendable, Hashable {
    public var kind: String
    public var id: String
    public var status: String?
    /// Exact decimal text in major units; minor units are converted exactly.
    public var amount: String?
    public var currency: String?
    /// RFC 3339 creation time, when the API gives one (backfill pages until it is older than the watermark).
    public var createdAt: Timestamp?
    /// The entity as the API sent it.
    public var raw: JSONValue

    public init(
        kind: String,
        id: String,
        status: String? = nil,
        amount: String? = nil,
        currency: String? = nil,
        createdAt: Timestamp? = nil,
        raw: JSONValue
    ) {
        self.kind = kind
        self.id = id
        self.status = status
        self.amount = amount
        self.currency = currency
        self.createdAt = createdAt
        self.raw = raw
    }
}

/// A page of ``ProviderAPI/list(cursor:)``.
public struct APIPage: Sendable {
    public var entities: [APIEntity]
    /// The cursor of the next (older) page; `nil` on the last page.
    public var next: String?
    /// Where to go on once this page reached entities older than the window: the first page
    /// of the client's next series (Bitso lists fundings, then withdrawals), else `nil`.
    public var nextSeries: String?

    public init(entities: [APIEntity], next: String?, nextSeries: String? = nil) {
        self.entities = entities
        self.next = next
        self.nextSeries = nextSeries
    }
}

/// Why a call to a provider's API failed, and whether trying again could help.
public struct APIError: HookwayError {
    public var code: ErrorCode
    public var message: String
    public var isRetriable: Bool
    /// What the provider asked for (`Retry-After`), or the rate limiter's own wait.
    public var retryAfter: Duration?

    public init(code: ErrorCode, _ message: String, retriable: Bool, retryAfter: Duration? = nil) {
        self.code = code
        self.message = message
        self.isRetriable = retriable
        self.retryAfter = retryAfter
    }

    public var description: String { "\(code): \(message)" }
}

extension ErrorCode {
    /// The API could not be reached, timed out, or answered 5xx.
    public static let apiUnavailable: ErrorCode = "api_unavailable"
    /// The API answered 429 (Bitso: 420) — Hookway waits as asked.
    public static let apiRateLimited: ErrorCode = "api_rate_limited"
    /// The API refused the credentials (401/403) even after a fresh token or nonce.
    public static let apiAuthFailed: ErrorCode = "api_auth_failed"
    /// The API refused the request for good (another 4xx).
    public static let apiRejected: ErrorCode = "api_rejected"
    /// The API's answer is not what its docs describe.
    public static let apiResponseInvalid: ErrorCode = "api_response_invalid"
    /// The provider's API has no endpoint for this.
    public static let apiUnsupported: ErrorCode = "api_unsupported"
}
