import HookwayCore

/// How a webhook body reached Hookway: its bytes as received (the fallback event id hashes
/// them), the source, how it was authenticated and when. `hookway reconcile` makes one for an
/// API record (`authMethod` `.api`, the record re-encoded as `raw`), so that a recovered event
/// is built by the same code as the webhook's and gets its id.
struct WebhookOrigin {
    var raw: [UInt8]
    var source: SourceConfig
    var authMethod: AuthMethod
    var receivedAt: Timestamp

    init(raw: [UInt8], source: SourceConfig, authMethod: AuthMethod, receivedAt: Timestamp) {
        self.raw = raw
        self.source = source
        self.authMethod = authMethod
        self.receivedAt = receivedAt
    }

    /// The origin of `request`'s body.
    init(_ request: WebhookRequest, source: SourceConfig, authMethod: AuthMethod) {
        self.init(raw: request.body, source: source, authMethod: authMethod, receivedAt: request.receivedAt)
    }
}
