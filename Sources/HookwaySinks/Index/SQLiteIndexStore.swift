import Foundation
import GRDB
public import HookwayCore

/// The index in SQLite (WAL, through GRDB): for `make run` and single-host setups.
public final class SQLiteIndexStore: IndexStore {
    let db: any DatabaseWriter

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-index") { db in try db.execute(sql: IndexSchema.sqlite) }
        return migrator
    }

    /// Opens (creating and migrating) the index for writing, or an existing one read-only.
    public init(path: String, readOnly: Bool = false) throws {
        if readOnly {
            guard FileManager.default.fileExists(atPath: path) else {
                throw IndexStoreError("the index \(path) does not exist yet (nothing indexed)", code: .indexMissing)
            }
            db = try SQLiteStore.openReadOnly(path: path)
        } else {
            db = try SQLiteStore.open(path: path, migrator: Self.migrator)
        }
    }

    public func write(_ records: [IndexRecord]) async throws {
        try await db.write { db in
            let event = try db.cachedStatement(sql: IndexSchema.insertEvent)
            let position = try db.cachedStatement(sql: IndexSchema.insertPosition)
            let outcome = try db.cachedStatement(sql: IndexSchema.insertOutcome)
            for record in records {
                switch record {
                case .event(let id, let summary, let at):
                    try event.execute(arguments: Self.eventArguments(id, summary))
                    if let at { try position.execute(arguments: [id, at.topic, Int64(at.partition), at.offset]) }
                case .outcome(let o):
                    if let summary = o.summary { try event.execute(arguments: Self.eventArguments(o.eventID, summary)) }
                    for at in o.topics { try position.execute(arguments: [o.eventID, at.topic, Int64(at.partition), at.offset]) }
                    try outcome.execute(arguments: Self.outcomeArguments(o))
                }
            }
        }
    }

    static func eventArguments(_ id: String, _ s: Outcome.Summary) -> StatementArguments {
        [
            id, s.source, s.type, s.subject, s.time, s.receivedAt, Timestamp(rfc3339: s.receivedAt)?.millisecondsSinceEpoch ?? 0,
            s.authMethod, s.amount, s.currency, s.status,
        ]
    }

    static func outcomeArguments(_ o: Outcome) -> StatementArguments {
        [
            o.eventID, o.kind.rawValue, o.sink ?? "", o.at, Timestamp(rfc3339: o.at)?.millisecondsSinceEpoch ?? 0, Int64(o.attempt),
            o.replay, o.code, o.message, o.result, o.deadLetter?.topic, o.deadLetter.map { Int64($0.partition) }, o.deadLetter?.offset,
        ]
    }

    public func trace(_ eventID: String) async throws -> (event: IndexedEvent?, outcomes: [Outcome])? {
        try await db.read { db in
            let event = try Row.fetchOne(db, sql: IndexSchema.selectEvent, arguments: [eventID]).map { row in
                var e = Self.event(row)
                e.topics = try Self.positions(db, eventID)
                return e
            }
            let outcomes = try Row.fetchAll(db, sql: IndexSchema.selectOutcomes, arguments: [eventID]).map(Self.outcome)
            guard event != nil || !outcomes.isEmpty else { return nil }
            return (event, outcomes)
        }
    }

    public func search(_ query: IndexQuery) async throws -> [IndexedEvent] {
        let (sql, arguments) = IndexSchema.search(query)
        return try await db.read { db in
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments.map(\.sqliteValue))).map { row in
                var e = Self.event(row)
                e.topics = try Self.positions(db, e.id)
                for latest in try Row.fetchAll(db, sql: IndexSchema.selectLatest, arguments: [e.id]) {
                    if let kind = Outcome.Kind(rawValue: latest["kind"]) { e.latest[latest["sink"]] = kind }
                }
                return e
            }
        }
    }

    public func purge(receivedBefore cutoff: Int64) async throws -> Int {
        try await db.write { db in
            for sql in IndexSchema.purgeDependents { try db.execute(sql: sql, arguments: [cutoff]) }
            try db.execute(sql: IndexSchema.purgeEvents, arguments: [cutoff])
            return db.changesCount
        }
    }

    public func close() async {}

    static func positions(_ db: Database, _ id: String) throws -> [Outcome.Position] {
        try Row.fetchAll(db, sql: IndexSchema.selectPositions, arguments: [id]).map {
            Outcome.Position(topic: $0["topic"], partition: Int32(truncatingIfNeeded: $0["partition"] as Int64), offset: $0["offset"])
        }
    }

    static func event(_ row: Row) -> IndexedEvent {
        IndexedEvent(
            id: row["id"],
            summary: Outcome.Summary(
                source: row["source"],
                type: row["type"],
                subject: row["subject"],
                time: row["time"],
                receivedAt: row["receivedat"],
                authMethod: row["authmethod"],
                amount: row["amount"],
                currency: row["currency"],
                status: row["status"]
            ),
            topics: []
        )
    }

    static func outcome(_ row: Row) -> Outcome {
        var o = Outcome(eventID: row["event_id"], kind: Outcome.Kind(rawValue: row["kind"]) ?? .delivered)
        let sink: String = row["sink"]
        o.sink = sink.isEmpty ? nil : sink
        o.at = row["at"]
        o.attempt = Int(row["attempt"] as Int64)
        o.replay = row["replay"]
        o.code = row["code"]
        o.message = row["message"]
        o.result = row["result"]
        if let topic: String = row["dlq_topic"] {
            o.deadLetter = Outcome.Position(
                topic: topic,
                partition: Int32(truncatingIfNeeded: row["dlq_partition"] as Int64? ?? 0),
                offset: row["dlq_offset"] ?? 0
            )
        }
        return o
    }
}

/// An index store failure that is not the database's own error.
public struct IndexStoreError: HookwayError {
    public var message: String
    public var code: ErrorCode
    public var isRetriable: Bool { false }
    public var description: String { message }

    public init(_ message: String, code: ErrorCode = .indexUnavailable) {
        self.message = message
        self.code = code
    }
}

extension ErrorCode {
    /// The index database does not exist yet.
    public static let indexMissing: ErrorCode = "index_missing"
    /// The index database cannot be reached or read.
    public static let indexUnavailable: ErrorCode = "index_unavailable"
}
