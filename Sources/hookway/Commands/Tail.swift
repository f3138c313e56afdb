import ArgumentParser
import Foundation
import HookwayCore
import HookwayKafka
import Logging

/// `hookway tail TOPIC...`: one readable line per event.
struct Tail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the events on topics, one readable line each (--json for raw CloudEvents).")

    @Argument(help: "Topics to read.") var topics: [String]
    @OptionGroup var brokers: BrokersOption
    @Flag(help: "Start at the oldest retained event instead of the newest.") var fromBeginning = false
    @Flag(help: "Print the raw CloudEvent JSON, one per line.") var json = false
    @Option(help: "Only events whose type matches this glob.") var type: String?
    @Option(help: "Stop after this many events.") var limit: Int?

    func validate() throws {
        if topics.isEmpty { throw ValidationError("name at least one topic") }
    }

    func run() async throws {
        var logger = Logger(label: "hookway.tail")
        logger.logLevel = .error
        let brokerList = brokers.resolve(nil)
        var configuration = KafkaConsumerConfiguration(bootstrapServers: brokerList, groupID: "hookway.tail.\(UUID().uuidString)", topics: topics)
        configuration.autoOffsetReset = fromBeginning ? "earliest" : "latest"
        configuration.sessionTimeout = .seconds(6)
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        let glob = type.map(Glob.init)
        let colour = isatty(STDOUT_FILENO) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        var printed = 0
        for try await message in consumer {
            guard let value = message.value else { continue }
            // Display only (nothing is committed or acknowledged): a message that is not a
            // CloudEvent is shown as such, not dropped.
            guard let event = try? Event.decode(value: value, headers: message.headers.map { ($0.key, $0.value ?? []) }) else {
                if glob == nil {
                    print("\(TerminalSafe.text(message.topic)) \(message.partition):\(message.offset) (not a CloudEvent, \(value.count) bytes)")
                    printed += 1
                    if let limit, printed >= limit { break }
                }
                continue
            }
            if let glob, !glob.matches(event.type) { continue }
            // Event data is the senders': it must never reach the terminal as control bytes.
            print(json ? TerminalSafe.json(value) : Self.line(event, colour: colour))
            fflush(nil)
            printed += 1
            if let limit, printed >= limit { break }
        }
        await consumer.close()
    }

    /// `2024-05-01T10:00:00.000Z  bitnob.payout.transfer.success  1ad3…  35.81 NGN  success`, and a
    /// `confirm` sink's `confirmation=matched` (or `mismatch (reason)`) when the event has one.
    static func line(_ event: Event, colour: Bool) -> String {
        var parts = [event.time, event.type, event.subject ?? "-"]
        if let amount = event.data.amount { parts.append([amount, event.data.currency].compactMap { $0 }.joined(separator: " ")) }
        if let status = event.data.status { parts.append(status) }
        if let confirmation = event.confirmation {
            parts.append("confirmation=\(confirmation.result)" + (confirmation.reason.map { " (\($0))" } ?? ""))
        }
        // One line per event: even tab and newline are escaped inside a field.
        parts = parts.map { LogSafe.text($0, limit: 256) }
        guard colour else { return parts.joined(separator: "  ") }
        let dim = "\u{1B}[2m"
        let bold = "\u{1B}[1m"
        let reset = "\u{1B}[0m"
        parts[0] = dim + parts[0] + reset
        parts[1] = bold + parts[1] + reset
        return parts.joined(separator: "  ")
    }
}
