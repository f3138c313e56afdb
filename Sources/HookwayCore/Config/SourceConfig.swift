/// One entry of `sources` in routes.json, validated and with every reference resolved.
///
/// The keys every provider shares are typed here; a provider's own keys (Bitso's `publicKeys`,
/// Koywe's `validation`, …) are read by its ``ProviderDescriptor`` into ``options``.
public struct SourceConfig: Sendable {
    /// The source name: the key in `sources` and the `{source}` of `/webhooks/{source}`.
    public var name: String
    /// The provider's name (``ProviderDescriptor/name``).
    public var provider: String
    /// Signing secrets, any of which verifies (rotation).
    public var secrets: [Secret]
    /// The URL token for `/webhooks/{source}/{token}`.
    public var token: Secret?
    /// Peer addresses allowed to deliver; empty allows any.
    public var allowFrom: [CIDRBlock]
    /// Overrides the provider's timestamp tolerance.
    public var toleranceSeconds: Int?
    /// How long to wait for Kafka's acknowledgement before answering 503 (or spooling).
    public var ackTimeoutMs: Int?
    /// How to reach the provider's REST API (`api`), for confirmation and backfill.
    public var api: APISettings?
    /// The provider's own keys, as its descriptor read them.
    public var options: any ProviderOptions
    /// How the provider treats our answers (from its descriptor).
    public var traits: ProviderTraits
    /// Whether a caller's W3C `traceparent` becomes the webhook span's parent (`trustTraceContext`).
    /// Off by default: a caller on the public internet must not choose the trace ids, so its
    /// context is only recorded as a span link.
    public var trustTraceContext = false

    public init(
        name: String,
        provider: String,
        secrets: [Secret] = [],
        token: Secret? = nil,
        allowFrom: [CIDRBlock] = [],
        toleranceSeconds: Int? = nil,
        ackTimeoutMs: Int? = nil,
        api: APISettings? = nil,
        options: any ProviderOptions = NoProviderOptions(),
        traits: ProviderTraits = ProviderTraits()
    ) {
        self.name = name
        self.provider = provider
        self.secrets = secrets
        self.token = token
        self.allowFrom = allowFrom
        self.toleranceSeconds = toleranceSeconds
        self.ackTimeoutMs = ackTimeoutMs
        self.api = api
        self.options = options
        self.traits = traits
    }

    /// The provider's options as `type`, or `nil` when the source has none of that type.
    public func options<Options: ProviderOptions>(as type: Options.Type) -> Options? {
        options as? Options
    }
}
