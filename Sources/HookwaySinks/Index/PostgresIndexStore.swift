public import HookwayCore
public import Logging
import NIOConcurrencyHelpers
import PostgresNIO

/// The index in PostgreSQL (postgres-nio), for production: a batch is three statements
/// whatever its size (events, positions, outcomes travel as arrays through `unnest`).
///
/// Its client leases connections only while ``run()`` runs, which the owner awaits in its own
/// structured scope: the sink runner (as the sink's background work) or the command.
public final class PostgresIndexStore: IndexStore {
    let client: PostgresClient
    let logger: Logger
    let migrated = NIOLockedValueBox(false)
    let applyMigrations: Bool

    public init(url: String, logger: Logger, migrate: Bool = true) throws {
        let parsed = try PostgresURL(url)
        let client = PostgresClient(configuration: parsed.configuration, backgroundLogger: logger)
        self.client = client
        self.logger = logger
        self.applyMigrations = migrate
    }

    /// Runs the client until cancelled.
    public func run() async {
        await client.run()
    }

    public func close() async {}

    static let migrationLock: Int64 = 0x686f_6f6b_7761_7902  // "hookway" + 2

    func ensureMigrated() async throws {
        guard applyMigrations, !migrated.withLockedValue({ $0 }) else { return }
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
            for sql in IndexSchema.tables { try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) }
        }
        migrated.withLockedValue { $0 = true }
    }

    public func write(_ records: [IndexRecord]) async throws {
        guard !records.isEmpty else { return }
        try await ensureMigrated()
        var events = EventColumns()
        var positions = (ids: [String](), topics: [String](), partitions: [Int32](), offsets: [Int64]())
        var outcomes = OutcomeColumns()
        func addPosition(_ id: String, _ at: Outcome.Position) {
            positions.ids.append(id)
            positions.topics.append(at.topic)
            positions.partitions.append(at.partition)
            positions.offsets.append(at.offset)
        }
        for record in records {
            switch record {
            case .event(let id, let summary, let at):
                events.append(id, summary)
                if let at { addPosition(id, at) }
            case .outcome(let o):
                if let summary = o.summary { events.append(o.eventID, summary) }
                for at in o.topics { addPosition(o.eventID, at) }
                outcomes.append(o)
            }
        }
        try await client.withTransaction(logger: logger) { connection in
            if !events.ids.isEmpty {
                try await connection.query(
                    """
                    INSERT INTO index_events (id, source, type, subject, time, receivedat, received_ms, authmethod, amount, currency, status)
                    SELECT i, so, ty, NULLIF(su, ''), ti, re, ms, au, NULLIF(am, ''), NULLIF(cu, ''), NULLIF(st, '')
                    FROM unnest(\(events.ids)::text[], \(events.sources)::text[], \(events.types)::text[], \(events.subjects)::text[],
                                \(events.times)::text[], \(events.received)::text[], \(events.receivedMs)::bigint[], \(events.auth)::text[],
                                \(events.amounts)::text[], \(events.currencies)::text[], \(events.statuses)::text[])
                         AS u(i, so, ty, su, ti, re, ms, au, am, cu, st)
                    ON CONFLICT (id) DO NOTHING
                    """,
                    logger: logger
                )
            }
            if !positions.ids.isEmpty {
                try await connection.query(
                    """
                    INSERT INTO index_positions (event_id, topic, partition, "offset")
                    SELECT * FROM unnest(\(positions.ids)::text[], \(positions.topics)::text[], \(positions.partitions)::int[], \(positions.offsets)::bigint[])
                    ON CONFLICT (event_id, topic) DO NOTHING
                    """,
                    logger: logger
                )
            }
            if !outcomes.ids.isEmpty {
                try await connection.query(
                    """
                    INSERT INTO index_outcomes (event_id, kind, sink, at, at_ms, attempt, replay, code, message, result, dlq_topic, dlq_partition, dlq_offset)
                    SELECT e, k, s, a, ms, n, r, NULLIF(c, ''), NULLIF(m, ''), NULLIF(re, ''), NULLIF(dt, ''), CASE WHEN dt = '' THEN NULL ELSE dp END,
                           CASE WHEN dt = '' THEN NULL ELSE dof END
                    FROM unnest(\(outcomes.ids)::text[], \(outcomes.kinds)::text[], \(outcomes.sinks)::text[], \(outcomes.ats)::text[],
                                \(outcomes.atMs)::bigint[], \(outcomes.attempts)::int[], \(outcomes.replays)::bool[], \(outcomes.codes)::text[],
                                \(outcomes.messages)::text[], \(outcomes.results)::text[], \(outcomes.dlqTopics)::text[],
                                \(outcomes.dlqPartitions)::int[], \(outcomes.dlqOffsets)::bigint[])
                         AS u(e, k, s, a, ms, n, r, c, m, re, dt, dp, dof)
                    ON CONFLICT DO NOTHING
                    """,
                    logger: logger
                )
            }
        }
    }

    public func trace(_ eventID: String) async throws -> (event: IndexedEvent?, outcomes: [Outcome])? {
        try await ensureMigrated()
        var event = try await events(PostgresQuery(unsafeSQL: IndexSchema.numbered(IndexSchema.selectEvent), binds: Self.binds([.text(eventID)])))
            .first
        if event != nil { event?.topics = try await positions(eventID) }
        var outcomes: [Outcome] = []
        let rows = try await client.query(
            PostgresQuery(unsafeSQL: IndexSchema.numbered(IndexSchema.selectOutcomes), binds: Self.binds([.text(eventID)])),
            logger: logger
        )
        for try await (id, kind, sink, at, attempt, replay, code, message, result, dlqTopic, dlqPartition, dlqOffset) in rows.decode(
            (String, String, String, String, Int32, Bool, String?, String?, String?, String?, Int32?, Int64?).self
        ) {
            var o = Outcome(
                eventID: id,
                kind: Outcome.Kind(rawValue: kind) ?? .delivered,
                sink: sink.isEmpty ? nil : sink,
                attempt: Int(attempt),
                replay: replay
            )
            o.at = at
            o.code = code
            o.message = message
            o.result = result
            if let dlqTopic { o.deadLetter = Outcome.Position(topic: dlqTopic, partition: dlqPartition ?? 0, offset: dlqOffset ?? 0) }
            outcomes.append(o)
        }
        guard event != nil || !outcomes.isEmpty else { return nil }
        return (event, outcomes)
    }

    public func search(_ query: IndexQuery) async throws -> [IndexedEvent] {
        try await ensureMigrated()
        let (sql, arguments) = IndexSchema.search(query)
        var found = try await events(PostgresQuery(unsafeSQL: IndexSchema.numbered(sql), binds: Self.binds(arguments)))
        for i in found.indices {
            found[i].topics = try await positions(found[i].id)
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: IndexSchema.numbered(IndexSchema.selectLatest), binds: Self.binds([.text(found[i].id)])),
                logger: logger
            )
            for try await (sink, kind) in rows.decode((String, String).self) {
                if let kind = Outcome.Kind(rawValue: kind) { found[i].latest[sink] = kind }
            }
        }
        return found
    }

    public func purge(receivedBefore cutoff: Int64) async throws -> Int {
        try await ensureMigrated()
        return try await client.withTransaction(logger: logger) { connection in
            for sql in IndexSchema.purgeDependents {
                try await connection.query(PostgresQuery(unsafeSQL: IndexSchema.numbered(sql), binds: Self.binds([.int(cutoff)])), logger: logger)
            }
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: IndexSchema.numbered(IndexSchema.purgeEvents + " RETURNING 1"), binds: Self.binds([.int(cutoff)])),
                logger: logger
            )
            var count = 0
            for try await _ in rows { count += 1 }
            return count
        }
    }

    private func events(_ query: PostgresQuery) async throws -> [IndexedEvent] {
        let rows = try await client.query(query, logger: logger)
        var out: [IndexedEvent] = []
        for try await (id, source, type, subject, time, receivedAt, auth, amount, currency, status) in rows.decode(
            (String, String, String, String?, String, String, String, String?, String?, String?).self
        ) {
            out.append(
                IndexedEvent(
                    id: id,
                    summary: Outcome.Summary(
                        source: source,
                        type: type,
                        subject: subject,
                        time: time,
                        receivedAt: receivedAt,
                        authMethod: auth,
                        amount: amount,
                        currency: currency,
                        status: status
                    ),
                    topics: []
                )
            )
        }
        return out
    }

    private func positions(_ id: String) async throws -> [Outcome.Position] {
        let rows = try await client.query(
            PostgresQuery(unsafeSQL: IndexSchema.numbered(IndexSchema.selectPositions), binds: Self.binds([.text(id)])),
            logger: logger
        )
        var out: [Outcome.Position] = []
        for try await (topic, partition, offset) in rows.decode((String, Int32, Int64).self) {
            out.append(Outcome.Position(topic: topic, partition: partition, offset: offset))
        }
        return out
    }

    static func binds(_ values: [IndexSchema.Value]) -> PostgresBindings {
        var binds = PostgresBindings()
        for value in values {
            switch value {
            case .text(let s): binds.append(s)
            case .int(let n): binds.append(n)
            }
        }
        return binds
    }

    /// Column arrays of a batch of events (nullable text as "", made NULL in SQL).
    struct EventColumns {
        var ids: [String] = [], sources: [String] = [], types: [String] = [], subjects: [String] = []
        var times: [String] = [], received: [String] = [], receivedMs: [Int64] = [], auth: [String] = []
        var amounts: [String] = [], currencies: [String] = [], statuses: [String] = []

        mutating func append(_ id: String, _ s: Outcome.Summary) {
            ids.append(id)
            sources.append(s.source)
            types.append(s.type)
            subjects.append(s.subject ?? "")
            times.append(s.time)
            received.append(s.receivedAt)
            receivedMs.append(Timestamp(rfc3339: s.receivedAt)?.millisecondsSinceEpoch ?? 0)
            auth.append(s.authMethod)
            amounts.append(s.amount ?? "")
            currencies.append(s.currency ?? "")
            statuses.append(s.status ?? "")
        }
    }

    /// Column arrays of a batch of outcomes.
    struct OutcomeColumns {
        var ids: [String] = [], kinds: [String] = [], sinks: [String] = [], ats: [String] = [], atMs: [Int64] = []
        var attempts: [Int32] = [], replays: [Bool] = [], codes: [String] = [], messages: [String] = [], results: [String] = []
        var dlqTopics: [String] = [], dlqPartitions: [Int32] = [], dlqOffsets: [Int64] = []

        mutating func append(_ o: Outcome) {
            ids.append(o.eventID)
            kinds.append(o.kind.rawValue)
            sinks.append(o.sink ?? "")
            ats.append(o.at)
            atMs.append(Timestamp(rfc3339: o.at)?.millisecondsSinceEpoch ?? 0)
            attempts.append(Int32(clamping: o.attempt))
            replays.append(o.replay)
            codes.append(o.code ?? "")
            messages.append(o.message ?? "")
            results.append(o.result ?? "")
            dlqTopics.append(o.deadLetter?.topic ?? "")
            dlqPartitions.append(o.deadLetter?.partition ?? 0)
            dlqOffsets.append(o.deadLetter?.offset ?? 0)
        }
    }
}
