/// How a delivery was authenticated; published as the CloudEvent extension `authmethod` so
/// consumers can decide how far to trust it.
public enum AuthMethod: String, Sendable, Hashable {
    /// An HMAC or RSA signature over the body verified.
    case signature
    /// A URL token or a static shared header (proves the sender knows a secret, not the body).
    case token
    /// Only the peer address was checked against `allowFrom`.
    case ip
    /// Nothing was checked.
    case none
    /// Not a webhook: read from the provider's own API by `hookway reconcile` (a missed webhook).
    case api
}

/// The entity an event is about: `{"kind": "funding", "id": "037c…"}`.
public struct EntityRef: Sendable, Hashable {
    public var kind: String
    public var id: String
    public init(kind: String, id: String) {
        self.kind = kind
        self.id = id
    }
}

/// The normalized `data` of a Hookway CloudEvent (CONTRACT.md §3).
public struct EventData: Sendable, Hashable {
    /// Provider kind (`bitnob`).
    public var provider: String
    /// Configured source name (a key of `sources`).
    public var source: String
    /// The provider's event name, lower-case dotted (`payout.transfer.success`).
    public var event: String
    public var entity: EntityRef?
    /// The entity's status after this event, lower-case.
    public var status: String?
    /// Exact decimal text; never a float.
    public var amount: String?
    /// Where `amount` came from when it is not the payload's own decimal amount: e.g.
    /// `centAmount` when it was derived exactly from minor units. Absent otherwise.
    public var amountSource: String?
    public var currency: String?
    public var reference: String?
    /// The original JSON body. Setting it drops ``payloadText``.
    public var payload: JSONValue {
        get { storedPayload }
        set {
            storedPayload = newValue
            verbatim = VerbatimJSON(body: nil)
        }
    }
    private var storedPayload: JSONValue
    private var verbatim: VerbatimJSON

    /// ``payload``'s JSON text exactly as the provider sent it, when the payload is the whole
    /// body: the CloudEvent carries these bytes instead of serializing the parsed tree again
    /// (the bytes were parsed strictly — UTF-8, no duplicate members, no lone surrogates — so
    /// they are valid JSON text). `nil` when the payload was built or trimmed.
    public var payloadText: ArraySlice<UInt8>? { verbatim.text }

    public init(
        provider: String,
        source: String,
        event: String,
        entity: EntityRef? = nil,
        status: String? = nil,
        amount: String? = nil,
        amountSource: String? = nil,
        currency: String? = nil,
        reference: String? = nil,
        payload: JSONValue,
        payloadBody: [UInt8]? = nil
    ) {
        self.provider = provider
        self.source = source
        self.event = event
        self.entity = entity
        self.status = status
        self.amount = amount
        self.amountSource = amountSource
        self.currency = currency
        self.reference = reference
        self.storedPayload = payload
        self.verbatim = VerbatimJSON(body: payloadBody)
    }
}

/// A body's JSON text kept beside its parsed tree. It equals every other and hashes to nothing:
/// it is the tree's own text, so two payloads compare by their trees alone (an event read back
/// from Kafka, which has no text, equals the one published).
private struct VerbatimJSON: Sendable, Hashable {
    let text: ArraySlice<UInt8>?

    /// `body` without the byte-order mark the parser skips.
    init(body: [UInt8]?) {
        guard let body else {
            text = nil
            return
        }
        text = body.starts(with: [0xEF, 0xBB, 0xBF]) ? body.dropFirst(3) : body[...]
    }

    static func == (lhs: Self, rhs: Self) -> Bool { true }
    func hash(into hasher: inout Hasher) {}
}

/// A CloudEvent 1.0 as Hookway publishes it: the attributes of CONTRACT.md §3, the extensions
/// `authmethod` and `receivedat`, and the normalized ``EventData``.
public struct Event: Sendable, Hashable {
    public static let specVersion = "1.0"
    public static let dataContentType = "application/json"

    /// Deterministic per delivery: the same for every retry, different per status change.
    public var id: String
    /// `/webhooks/{source}`.
    public var source: String
    /// `{provider}.{event}`.
    public var type: String
    /// The entity id, when there is one.
    public var subject: String?
    /// RFC 3339: the provider's event time, else the receive time.
    public var time: String
    public var authMethod: AuthMethod
    /// RFC 3339 time the ingress received the delivery.
    public var receivedAt: String
    /// What a `confirm` sink found when it asked the provider's API (absent until then).
    public var confirmation: Confirmation?
    /// The trace this event belongs to (the distributed-tracing extension), when tracing is on.
    public var traceContext: TraceContext?
    public var data: EventData

    /// Builds the event for a normalized delivery, deriving `source`, `type` and `subject`.
    public init(id: String, data: EventData, time: String? = nil, authMethod: AuthMethod, receivedAt: Timestamp) {
        self.id = id
        self.source = "/webhooks/\(data.source)"
        self.type = "\(data.provider).\(data.event)"
        self.subject = data.entity?.id
        self.receivedAt = receivedAt.rfc3339
        self.time = time ?? self.receivedAt
        self.authMethod = authMethod
        self.data = data
    }

    /// Memberwise initializer, for events read back from Kafka.
    public init(
        id: String,
        source: String,
        type: String,
        subject: String?,
        time: String,
        authMethod: AuthMethod,
        receivedAt: String,
        data: EventData
    ) {
        self.id = id
        self.source = source
        self.type = type
        self.subject = subject
        self.time = time
        self.authMethod = authMethod
        self.receivedAt = receivedAt
        self.data = data
    }

    /// The Kafka message key: the subject, else the id.
    public var partitionKey: String { subject ?? id }
}
