import Foundation
import HookwayCore
import NIOPosix

/// Which events were mailed, by CloudEvent id, in SQLite: a redelivered event (at-least-once
/// Kafka) is not mailed twice once a send succeeded.
struct EmailSentLog: Sendable {
    let database: SQLiteDatabase

    init(path: String) throws(SinkError) {
        do {
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            database = try SQLiteDatabase(path: path)
            try database.execute(
                """
                CREATE TABLE IF NOT EXISTS email_sent (
                    event_id TEXT PRIMARY KEY,
                    message_id TEXT NOT NULL,
                    recipients TEXT NOT NULL,
                    sent_at TEXT NOT NULL
                )
                """
            )
        } catch {
            throw .permanent(.storageFailed, "cannot open the email sent-log \(path): \(error)")
        }
    }

    /// The `Message-ID` the event was sent with, or `nil` when it was not sent.
    func sentMessageID(eventID: String) async throws(SinkError) -> String? {
        let database = self.database
        do {
            return try await NIOThreadPool.singleton.runIfActive {
                try database.read { try $0.query("SELECT message_id FROM email_sent WHERE event_id = ?", [.text(eventID)]).first?.first?.text }
            }
        } catch {
            throw .transient(.storageFailed, "email sent-log read failed: \(error)")
        }
    }

    func record(eventID: String, messageID: String, recipients: [String]) async throws(SinkError) {
        let database = self.database
        do {
            _ = try await NIOThreadPool.singleton.runIfActive {
                try database.transaction { connection in
                    try connection.query(
                        "INSERT OR IGNORE INTO email_sent (event_id, message_id, recipients, sent_at) VALUES (?, ?, ?, ?)",
                        [.text(eventID), .text(messageID), .text(recipients.joined(separator: ",")), .text(Timestamp.now().rfc3339)]
                    )
                }
            }
        } catch {
            throw .transient(.storageFailed, "email sent-log write failed: \(error)")
        }
    }
}
