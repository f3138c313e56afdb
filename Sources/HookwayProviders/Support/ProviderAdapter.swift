public import HookwayCore

/// A provider's adapter: authenticates the raw request, parses it, normalizes it to an
/// ``Event`` (CONTRACT.md §3) and derives the deterministic event id (PROVIDERS.md).
///
/// Adapters never see the IP allow-list or the URL token; ``WebhookIntake`` checks those
/// first and then calls ``handle(_:source:)``.
public protocol ProviderAdapter: Sendable {
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

    /// True when `source` is authenticated by a public-key signature only, so a sample needs
    /// the sender's private key (`hookway simulate --signing-key`).
    func needsSenderKey(source: SourceConfig) -> Bool
}

extension ProviderAdapter {
    public func needsSenderKey(source: SourceConfig) -> Bool { false }

    public func sample(event: String, source: SourceConfig, now: Timestamp, tampered: Bool, senderKey: Secret?) -> SampleDelivery? {
        sample(event: event, source: source, now: now, tampered: tampered)
    }

    public func handle(_ request: WebhookRequest, source: SourceConfig, warnings: inout [IntakeWarning]) throws(WebhookError) -> AdapterOutcome {
        try handle(request, source: source)
    }
}
