import GRDB

/// The index's tables and statements, one text for SQLite and PostgreSQL where the dialects
/// agree (PostgreSQL's `$n` placeholders are made from the `?`s by ``numbered(_:)``).
///
/// - `index_events`: one row per event id — its attributes; `received_ms` orders and ranges.
/// - `index_positions`: where the event was written (topic, partition, offset).
/// - `index_outcomes`: every outcome, unique on (event, kind, sink, time, attempt) so a
///   redelivered outcome is written once.
enum IndexSchema {
    static let tables = [
        """
        CREATE TABLE IF NOT EXISTS index_events (
            id TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            type TEXT NOT NULL,
            subject TEXT,
            time TEXT NOT NULL,
            receivedat TEXT NOT NULL,
            received_ms BIGINT NOT NULL,
            authmethod TEXT NOT NULL,
            amount TEXT,
            currency TEXT,
            status TEXT
        )
        """,
        "CREATE INDEX IF NOT EXISTS index_events_subject ON index_events(subject, received_ms)",
        "CREATE INDEX IF NOT EXISTS index_events_type ON index_events(type, received_ms)",
        "CREATE INDEX IF NOT EXISTS index_events_received ON index_events(received_ms)",
        """
        CREATE TABLE IF NOT EXISTS index_positions (
            event_id TEXT NOT NULL,
            topic TEXT NOT NULL,
            partition INTEGER NOT NULL,
            "offset" BIGINT NOT NULL,
            PRIMARY KEY (event_id, topic)
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS index_outcomes (
            event_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            sink TEXT NOT NULL,
            at TEXT NOT NULL,
            at_ms BIGINT NOT NULL,
            attempt INTEGER NOT NULL,
            replay BOOLEAN NOT NULL,
            code TEXT,
            message TEXT,
            result TEXT,
            dlq_topic TEXT,
            dlq_partition INTEGER,
            dlq_offset BIGINT,
            PRIMARY KEY (event_id, kind, sink, at, attempt)
        )
        """,
    ]

    static var sqlite: String { tables.joined(separator: ";\n") }

    static let insertEvent = """
        INSERT INTO index_events (id, source, type, subject, time, receivedat, received_ms, authmethod, amount, currency, status)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING
        """
    static let insertPosition = """
        INSERT INTO index_positions (event_id, topic, partition, "offset") VALUES (?, ?, ?, ?) ON CONFLICT (event_id, topic) DO NOTHING
        """
    static let insertOutcome = """
        INSERT INTO index_outcomes (event_id, kind, sink, at, at_ms, attempt, replay, code, message, result, dlq_topic, dlq_partition, dlq_offset)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
        """
    static let eventColumns = "id, source, type, subject, time, receivedat, authmethod, amount, currency, status"
    static let selectEvent = "SELECT \(eventColumns) FROM index_events WHERE id = ?"
    static let selectPositions = #"SELECT topic, partition, "offset" FROM index_positions WHERE event_id = ? ORDER BY topic"#
    static let selectOutcomes = """
        SELECT event_id, kind, sink, at, attempt, replay, code, message, result, dlq_topic, dlq_partition, dlq_offset
        FROM index_outcomes WHERE event_id = ? ORDER BY at_ms, attempt
        """
    /// Each sink's latest outcome of one event (`received`/`spooled` are the ingress's: sink '').
    static let selectLatest = """
        SELECT o.sink, o.kind FROM index_outcomes o
        WHERE o.event_id = ? AND o.sink <> '' AND o.at_ms = (SELECT MAX(at_ms) FROM index_outcomes p WHERE p.event_id = o.event_id AND p.sink = o.sink)
        """
    static let purgeDependents = [
        "DELETE FROM index_outcomes WHERE event_id IN (SELECT id FROM index_events WHERE received_ms < ?)",
        "DELETE FROM index_positions WHERE event_id IN (SELECT id FROM index_events WHERE received_ms < ?)",
    ]
    static let purgeEvents = "DELETE FROM index_events WHERE received_ms < ?"

    /// A bound value of either dialect.
    enum Value: Sendable {
        case text(String)
        case int(Int64)

        var sqliteValue: any DatabaseValueConvertible {
            switch self {
            case .text(let s): s
            case .int(let n): n
            }
        }
    }

    /// `hookway events`: newest first.
    static func search(_ q: IndexQuery) -> (sql: String, arguments: [Value]) {
        var conditions: [String] = []
        var arguments: [Value] = []
        if let subject = q.subject {
            conditions.append("subject = ?")
            arguments.append(.text(subject))
        }
        if let source = q.source {
            // `--source bitso` or the CloudEvent source `/webhooks/bitso`.
            conditions.append("source = ?")
            arguments.append(.text(source.hasPrefix("/") ? source : "/webhooks/\(source)"))
        }
        if let pattern = q.typePattern {
            conditions.append(#"type LIKE ? ESCAPE '\'"#)
            arguments.append(.text(pattern))
        }
        if let since = q.since {
            conditions.append("received_ms >= ?")
            arguments.append(.int(since))
        }
        if let until = q.until {
            conditions.append("received_ms < ?")
            arguments.append(.int(until))
        }
        if let status = q.status {
            conditions.append("status = ?")
            arguments.append(.text(status))
        }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        arguments.append(.int(Int64(max(1, q.limit))))
        return ("SELECT \(eventColumns) FROM index_events\(filter) ORDER BY received_ms DESC, id LIMIT ?", arguments)
    }

    /// `?` placeholders as PostgreSQL's `$1`, `$2`, … (none of the statements has a `?` in a literal).
    static func numbered(_ sql: String) -> String {
        var out = ""
        var n = 0
        for c in sql {
            if c == "?" {
                n += 1
                out += "$\(n)"
            } else {
                out.append(c)
            }
        }
        return out
    }
}
