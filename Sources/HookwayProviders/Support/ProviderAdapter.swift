public import HookwayCore

/// A provider's adapter: authenticates the raw request, parses it, normalizes it to an
/// ``Event`` (CONTRACT.md §3) and derives the deterministic event id (PROVIDERS.md).
///
/// Adapters never see the IP allow-list or the URL token; ``WebhookIntake`` checks those
/// first and then calls ``handle(_:source:)``.
public protocol ProviderAdapter: Sendable {
    /// The `provider` value of the sources this adapter serves.
    static var kind: ProviderKind { get }

    /// Verifies on the raw bytes, then parses, normalizes and derives the id.
    /// Throws ``WebhookError`` with the contract code (401 codes before any 400).
    func handle(_ request: WebhookRequest, source: SourceConfig) throws(WebhookError) -> AdapterOutcome

    /// ``handle(_:source:)``, reporting what it left out of the event in `warnings`. Adapters
    /// that never drop anything keep the default.
    func handle(_ request: WebhookRequest, source: SourceConfig, warnings: inout [IntakeWarning]) throws(WebhookError) -> AdapterOutcome

    /// Every event PROVIDERS.md lists for this provider, for `hookway simulate --list` and tests.
    static var catalog: [CatalogEvent] { get }

    /// A realistic, correctly signed delivery of `event` for `source` at time `now` (secrets
    /// and token taken from `source`); `nil` when the name cannot be expressed by the provider.
    /// With `tampered: true` the same request carries a wrong signature (or a wrong token when
    /// the source signs nothing).
    func sample(event: String, source: SourceConfig, now: Timestamp, tampered: Bool) -> SampleDelivery?

    /// ``sample(event:source:now:tampered:)`` signed with the sender's private key as well, for
    /// sources that verify public-key signatures (Bitso's RSA PEM, a Standard Webhooks `whsk_`
    /// key): Hookway never holds those keys, so `hookway simulate --signing-key` passes one.
    /// Adapters without public-key schemes keep the default, which ignores `senderKey`.
    func sample(event: String, source: SourceConfig, now: Timestamp, tampered: Bool, senderKey: Secret?) -> SampleDelivery?
}

extension ProviderAdapter {
    public func sample(event: String, source: SourceConfig, now: Timestamp, tampered: Bool, senderKey: Secret?) -> SampleDelivery? {
        sample(event: event, source: source, now: now, tampered: tampered)
    }

    public func handle(_ request: WebhookRequest, source: SourceConfig, warnings: inout [IntakeWarning]) throws(WebhookError) -> AdapterOutcome {
        try handle(request, source: source)
    }
}

/// Finds the adapter for a source's `provider`.
public enum ProviderRegistry {
    /// The adapter for `kind`.
    public static func adapter(for kind: ProviderKind) -> any ProviderAdapter {
        switch kind {
        case .bitcapital: return BitCapitalAdapter()
        case .bitpowr: return BitpowrAdapter()
        case .bitso: return BitsoAdapter()
        case .koywe: return KoyweAdapter()
        case .bitnob: return BitnobAdapter()
        case .standardwebhooks: return StandardWebhooksAdapter()
        }
    }

    /// The adapter for a `provider` string (`"bitnob"`), or `nil` when Hookway has none.
    public static func adapter(named provider: String) -> (any ProviderAdapter)? {
        ProviderKind(rawValue: provider).map { adapter(for: $0) }
    }
}
