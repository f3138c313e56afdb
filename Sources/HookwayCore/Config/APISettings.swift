/// A source's `api` settings in routes.json: how Hookway reaches the provider's own REST API
/// to confirm events and recover missed webhooks (docs/reconciliation.md).
public struct APISettings: Sendable, Hashable {
    /// The API's base URL, without a trailing slash (the provider's documented default unless set).
    public var baseURL: String
    /// The provider's credentials by name (`key`/`secret` for Bitso, `clientId`/`clientSecret`
    /// for Bitnob, …), each from an `env:`/`file:` reference.
    public var credentials: [String: Secret]
    /// Requests per minute Hookway allows itself against this API (a token bucket per source).
    public var rateLimitPerMinute: Int
    /// Bound on one request, connect to last byte.
    public var timeoutMs: Int
    /// Path templates by name, where the provider's docs leave a path open (documented defaults).
    public var paths: [String: String]
    /// Provider settings that are not secret (Koywe's `organizationId`, Bit Capital's `walletId`).
    public var settings: [String: String]
    /// `hookway consume` polls the API for missed webhooks this often; `nil` turns the poller off.
    public var pollEvery: Duration?

    public init(
        baseURL: String,
        credentials: [String: Secret] = [:],
        rateLimitPerMinute: Int,
        timeoutMs: Int = 10_000,
        paths: [String: String] = [:],
        settings: [String: String] = [:],
        pollEvery: Duration? = nil
    ) {
        self.baseURL = baseURL
        self.credentials = credentials
        self.rateLimitPerMinute = rateLimitPerMinute
        self.timeoutMs = timeoutMs
        self.paths = paths
        self.settings = settings
        self.pollEvery = pollEvery
    }

    /// A path template by name: the configured one, else `fallback` (the documented default).
    public func path(_ name: String, default fallback: String) -> String { paths[name] ?? fallback }
}

/// What a provider's API needs in routes.json, for validating a source's `api` entry.
public struct APIDescriptor: Sendable {
    /// The production base URL the provider documents.
    public var defaultBaseURL: String
    /// Credential names that must be present.
    public var requiredCredentials: [String]
    /// Credential names that may be present besides the required ones.
    public var optionalCredentials: [String]
    /// The rate limit Hookway keeps unless `rateLimitPerMinute` says otherwise.
    public var defaultRateLimitPerMinute: Int
    /// Path names that may be overridden, with their defaults (see docs/reconciliation.md).
    public var paths: [String: String]
    /// Non-secret settings: name → whether it is required.
    public var settings: [String: Bool]

    public init(
        defaultBaseURL: String,
        requiredCredentials: [String],
        optionalCredentials: [String] = [],
        defaultRateLimitPerMinute: Int,
        paths: [String: String] = [:],
        settings: [String: Bool] = [:]
    ) {
        self.defaultBaseURL = defaultBaseURL
        self.requiredCredentials = requiredCredentials
        self.optionalCredentials = optionalCredentials
        self.defaultRateLimitPerMinute = defaultRateLimitPerMinute
        self.paths = paths
        self.settings = settings
    }
}
