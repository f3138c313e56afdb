import GRDB
import HookwayCore

/// Which events were mailed, by CloudEvent id, in SQLite: a redelivered event (at-least-once
/// Kafka) is not mailed twice once a send succeeded.
struct EmailSentLog: Sendable {
    let database: DatabasePool

    /// The sent-log's schema, as GRDB migrations: a file made before them (same table, created
    /// with `IF NOT EXISTS`) adopts the first one as it stands.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-email-sent") { db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS email_sent (
                        event_id TEXT PRIMARY KEY,
                        message_id TEXT NOT NULL,
                        recipients TEXT NOT NULL,
                        sent_at TEXT NOT NULL
                    )
                    """
            )
        }
        return migrator
    }

    init(path: String) throws(SinkError) {
        do {
            database = try SQLiteStore.open(path: path, migrator: Self.migrator)
        } catch {
            throw .permanent(.storageFailed, "cannot open the email sent-log \(path): \(error)")
        }
    }

    /// The `Message-ID` the event was sent with, or `nil` when it was not sent.
    func sentMessageID(eventID: String) async throws(SinkError) -> String? {
        do {
            return try await database.read { db in
                try String.fetchOne(db, sql: "SELECT message_id FROM email_sent WHERE event_id = ?", arguments: [eventID])
            }
        } catch {
            throw .transient(.storageFailed, "email sent-log read failed: \(error)")
        }
    }

    func record(eventID: String, messageID: String, recipients: [String]) async throws(SinkError) {
        do {
            try await database.write { db in
                try db.execute(
                    sql: "INSERT OR IGNORE INTO email_sent (event_id, message_id, recipients, sent_at) VALUES (?, ?, ?, ?)",
                    arguments: [eventID, messageID, recipients.joined(separator: ","), Timestamp.now().rfc3339]
                )
            }
        } catch {
            throw .transient(.storageFailed, "email sent-log write failed: \(error)")
        }
    }
}
