import Foundation
import HookwayCore
import NIOPosix

/// Writes messages as `.eml` files instead of sending them (`"outbox": "var/outbox"`), for
/// running Hookway without an SMTP server. The file is named by the `Message-ID` hash, so a
/// re-send replaces it rather than adding a second one.
struct EmailOutbox: Sendable {
    let directory: String

    init(directory: String) throws(SinkError) {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .permanent(.storageFailed, "cannot create the email outbox \(directory): \(error)")
        }
    }

    func path(for message: EmailMessage) -> String { "\(directory)/\(message.idHash).eml" }

    func write(_ message: EmailMessage) async throws(SinkError) {
        let path = path(for: message)
        let bytes = message.bytes()
        do {
            // Write then rename: a reader never sees half a message.
            try await NIOThreadPool.singleton.runIfActive {
                try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
            }
        } catch {
            throw .transient(.storageFailed, "cannot write \(path): \(error)")
        }
    }
}
