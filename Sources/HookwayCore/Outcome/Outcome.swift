/// What happened to one event at one step of its journey: the ingress received it (or spooled
/// it), a sink delivered, booked, sent, confirmed or skipped it, retried it or dead-lettered it.
/// Outcomes go to `kafka.outcomeTopic` (default `hookway.outcomes`) keyed by the event id, so
/// one event's outcomes stay together in one partition, in order; the `index` sink keeps them
/// for `hookway trace` and `hookway events`.
///
/// The message value is a JSON object (CONTRACT: "Outcomes"):
/// `{"eventid":…,"kind":"booked","sink":"ledger","at":…,"attempt":1,"replay":false,…}`.
public struct Outcome: Sendable, Hashable {
    /// The outcome kinds, as they are written.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The ingress published the event (`topics` says where).
        case received
        /// The ingress spooled the event while Kafka was away; a `received` follows when it drains.
        case spooled
        /// A sink delivered the event (the CRM, a custom sink).
        case delivered
        /// The ledger booked it.
        case booked
        /// The email sink sent it.
        case sent
        /// The confirm sink checked it with the provider's API (`result`: matched, mismatch, not_found).
        case confirmed
        /// Already done before (the ledger's exactly-once, the email sent-log): nothing repeated.
        case skipped
        /// An attempt failed and will be retried (`attempt`, `code`).
        case retried
        /// The event went to the sink's dead-letter topic (`code`, `message`, `deadLetter`).
        case deadLettered = "dead_lettered"
    }

    /// A Kafka position: where the event (or its dead letter) was written.
    public struct Position: Sendable, Hashable {
        public var topic: String
        public var partition: Int32
        public var offset: Int64

        public init(topic: String, partition: Int32, offset: Int64) {
            self.topic = topic
            self.partition = partition
            self.offset = offset
        }
    }

    /// The event's attributes, carried by `received`/`spooled` so the index needs no other topic.
    public struct Summary: Sendable, Hashable {
        public var source: String
        public var type: String
        public var subject: String?
        public var time: String
        public var receivedAt: String
        public var authMethod: String
        public var amount: String?
        public var currency: String?
        public var status: String?

        public init(_ event: Event) {
            source = event.source
            type = event.type
            subject = event.subject
            time = event.time
            receivedAt = event.receivedAt
            authMethod = event.authMethod.rawValue
            amount = event.data.amount
            currency = event.data.currency
            status = event.data.status
        }

        public init(
            source: String,
            type: String,
            subject: String?,
            time: String,
            receivedAt: String,
            authMethod: String,
            amount: String?,
            currency: String?,
            status: String?
        ) {
            self.source = source
            self.type = type
            self.subject = subject
            self.time = time
            self.receivedAt = receivedAt
            self.authMethod = authMethod
            self.amount = amount
            self.currency = currency
            self.status = status
        }
    }

    public var eventID: String
    public var kind: Kind
    /// The sink (`nil` for the ingress's `received` and `spooled`).
    public var sink: String?
    /// When it happened (RFC 3339, UTC, milliseconds).
    public var at: String
    /// The delivery attempt (1 for the first); 0 for the ingress.
    public var attempt: Int
    /// Whether a `hookway replay` or `dlq replay` run did it.
    public var replay: Bool
    /// `retried`/`dead_lettered`: the stable error code, and its message.
    public var code: String?
    public var message: String?
    /// `confirmed`: `matched`, `mismatch` or `not_found`; `skipped`: why.
    public var result: String?
    /// `received`: the topics, partitions and offsets the event was published to.
    public var topics: [Position]
    /// `dead_lettered`: where the dead letter is.
    public var deadLetter: Position?
    /// `received`/`spooled`: the event itself.
    public var summary: Summary?

    public init(
        eventID: String,
        kind: Kind,
        sink: String? = nil,
        at: Timestamp = .now(),
        attempt: Int = 0,
        replay: Bool = false,
        code: String? = nil,
        message: String? = nil,
        result: String? = nil,
        topics: [Position] = [],
        deadLetter: Position? = nil,
        summary: Summary? = nil
    ) {
        self.eventID = eventID
        self.kind = kind
        self.sink = sink
        self.at = at.rfc3339
        self.attempt = attempt
        self.replay = replay
        self.code = code
        self.message = message
        self.result = result
        self.topics = topics
        self.deadLetter = deadLetter
        self.summary = summary
    }
}
