public import HookwayCore
public import Logging

/// The `email` sink: renders each event into a message with Mustache templates and sends it
/// over SMTP (or writes it to an outbox directory). A sent-log keyed by event id keeps a
/// redelivered event from being mailed twice.
///
/// SMTP 4xx replies, connection failures and timeouts are transient; 5xx replies, bad
/// addresses and (with `strict`) templates reading missing fields are permanent.
public struct EmailSink: Sink {
    enum Transport: Sendable {
        case smtp(SMTPClient)
        case outbox(EmailOutbox)
    }

    let options: EmailOptions
    let templates: EmailTemplates
    let transport: Transport
    let sentLog: EmailSentLog
    let logger: Logger

    /// The SMTP credentials, scrubbed from every error the runtime logs or dead-letters.
    public var secrets: [Secret] { [options.smtp?.username, options.smtp?.password].compactMap { $0 } }

    /// Parses the options, compiles the templates and opens the sent-log; a problem is a
    /// permanent ``SinkError`` naming the option's JSON path.
    public static func make(
        _ config: SinkConfig,
        environment: [String: String]? = nil,
        logger: Logger = Logger(label: "hookway.sink.email")
    ) throws(SinkError) -> EmailSink {
        let (options, problems) = EmailOptions.parse(config, environment: environment)
        guard let options else {
            throw .permanent(.sinkConfigInvalid, problems.filter { $0.severity == .error }.map(\.description).joined(separator: "; "))
        }
        return try EmailSink(options: options, logger: logger)
    }

    public init(options: EmailOptions, logger: Logger = Logger(label: "hookway.sink.email")) throws(SinkError) {
        self.options = options
        self.logger = logger
        templates = try EmailTemplates(options)
        if let outbox = options.outbox {
            transport = .outbox(try EmailOutbox(directory: outbox))
        } else if let smtp = options.smtp {
            transport = .smtp(try SMTPClient(server: smtp, logger: logger))
        } else {
            throw .permanent(.sinkConfigInvalid, "an email sink needs smtp or outbox")
        }
        sentLog = try EmailSentLog(path: options.sentLog)
    }

    @discardableResult
    public func deliver(_ event: Event) async throws(SinkError) -> SinkOutcome {
        if let previous = try await sentLog.sentMessageID(eventID: event.id) {
            logger.info("already mailed; skipping", metadata: ["event.id": "\(event.id)", "message.id": "\(previous)"])
            return .skipped("already sent")
        }
        let message = try EmailMessage(event: event, rendered: try templates.render(event))
        switch transport {
        case .outbox(let outbox):
            try await outbox.write(message)
            logger.info("message written to outbox", metadata: ["event.id": "\(event.id)", "path": "\(outbox.path(for: message))"])
        case .smtp(let client):
            do {
                try await client.send(message)
            } catch {
                throw error.isPermanent ? .permanent(.destinationRejected, "\(error)") : .transient(.destinationUnavailable, "\(error)")
            }
            logger.info(
                "message sent",
                metadata: [
                    "event.id": "\(event.id)", "message.id": "\(message.messageID)", "recipients": "\(message.recipients.count)",
                ]
            )
        }
        do {
            try await sentLog.record(eventID: event.id, messageID: message.messageID, recipients: message.recipients)
        } catch {
            // The message is out; failing now would send it again. Only a redelivery of this
            // event could duplicate it, and its Message-ID makes that recognizable.
            logger.error("email sent-log write failed", metadata: ["event.id": "\(event.id)", "error": "\(error.message)"])
        }
        return .sent
    }

    public func shutdown() async {
        if case .smtp(let client) = transport { await client.close() }
    }
}
