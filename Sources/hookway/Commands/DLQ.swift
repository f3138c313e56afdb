import ArgumentParser
import Foundation
import HookwayCore
import HookwayKafka
import Logging
import NIOConcurrencyHelpers

/// `hookway dlq …`.
struct DLQ: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dlq", abstract: "Dead-letter tools.", subcommands: [Replay.self])

    /// `hookway dlq replay SINK`: re-publishes dead letters to the sink's topics.
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Re-publish a sink's dead letters to the sink's topics and report how many.")

        @Argument(help: "The sink whose dead-letter topic to replay.") var sink: String
        @OptionGroup var config: ConfigOption
        @OptionGroup var brokers: BrokersOption
        @Option(help: "Replay at most this many.") var limit: Int?
        @Flag(help: "Print what would be replayed; publish and commit nothing.") var dryRun = false
        @Option(help: "Stop when no dead letter arrived for this many seconds.") var idleSeconds: Int = 8

        func run() async throws {
            var logger = Logger(label: "hookway.dlq")
            logger.logLevel = .warning
            let routes = try config.load()
            guard let sinkConfig = routes.sinks[sink] else {
                printError("no sink named \"\(sink)\" in \(config.path)")
                throw ExitCode(1)
            }
            let brokerList = brokers.resolve(routes)
            var consumerConfig = KafkaConsumerConfiguration(
                bootstrapServers: brokerList,
                groupID: "hookway.dlq-replay.\(sink)",
                topics: [sinkConfig.deadLetterTopic]
            )
            consumerConfig.sessionTimeout = .seconds(6)
            let consumer = try KafkaConsumer(configuration: consumerConfig, logger: logger)
            let producer = try KafkaProducer(configuration: .init(bootstrapServers: brokerList), logger: logger)
            let replayed: Int
            let lastSeen = Clock()
            let reader = Task { () throws -> Int in
                do {
                    var count = 0
                    for try await message in consumer {
                        lastSeen.touch()
                        let origin = message.headers.first { $0.key == "hookway_source_topic" }?.value.map { String(decoding: $0, as: UTF8.self) }
                        let topic = origin.flatMap { sinkConfig.topics.contains($0) ? $0 : nil } ?? sinkConfig.topics[0]
                        let reason = message.headers.first { $0.key == "hookway_error" }?.value.map { String(decoding: $0, as: UTF8.self) } ?? "?"
                        if dryRun {
                            print("would replay \(message.partition):\(message.offset) → \(topic) (error: \(reason))")
                        } else {
                            var headers = message.headers.filter { !$0.key.hasPrefix("hookway_") }
                            headers.append(KafkaHeader(key: "hookway_replay", value: Array("true".utf8)))
                            headers.append(KafkaHeader(key: "hookway_replayed_at", value: Array(Timestamp.now().rfc3339.utf8)))
                            headers.append(
                                KafkaHeader(key: "hookway_replay_of", value: Array("\(message.topic):\(message.partition):\(message.offset)".utf8))
                            )
                            _ = try await producer.send(topic: topic, key: message.key, value: message.value, headers: headers)
                            try await consumer.commit(message)
                        }
                        count += 1
                        lastSeen.replayed()
                        if let limit, count >= limit { break }
                    }
                    lastSeen.finish()
                    return count
                } catch {
                    lastSeen.fail(error)
                    throw error
                }
            }
            // Stop once the topic has been idle for a while (there is no "end" to a topic).
            while !lastSeen.isFinished, !lastSeen.idle(for: .seconds(idleSeconds)) {
                try await Task.sleep(for: .milliseconds(250))
            }
            // Leaving the group can stall behind a rebalance; every replayed message is already
            // acknowledged and committed one by one, so give it a bounded time only.
            let closing = Task { await consumer.close() }
            for _ in 0..<40 where !lastSeen.isFinished { try await Task.sleep(for: .milliseconds(250)) }
            reader.cancel()
            _ = closing
            replayed = lastSeen.count
            if let error = lastSeen.failure {
                printError("hookway dlq: replay stopped after \(replayed) dead letters: \(error)")
                await producer.shutdown(timeout: .seconds(10))
                throw ExitCode(2)
            }
            await producer.shutdown(timeout: .seconds(10))
            print(
                dryRun
                    ? "\(replayed) dead letters would be replayed from \(sinkConfig.deadLetterTopic)"
                    : "replayed \(replayed) dead letters from \(sinkConfig.deadLetterTopic) to \(sinkConfig.topics.joined(separator: ", "))"
            )
        }
    }
}

/// When something last happened, how many were replayed, and whether it is over.
final class Clock: Sendable {
    private let state = NIOLockedValueBox((last: ContinuousClock.now, finished: false, count: 0, failure: String?.none))
    func touch() { state.withLockedValue { $0.last = .now } }
    func finish() { state.withLockedValue { $0.finished = true } }
    func replayed() { state.withLockedValue { $0.count += 1 } }
    func fail(_ error: any Error) {
        state.withLockedValue {
            $0.failure = "\(error)"
            $0.finished = true
        }
    }
    var isFinished: Bool { state.withLockedValue { $0.finished } }
    var count: Int { state.withLockedValue { $0.count } }
    var failure: String? { state.withLockedValue { $0.failure } }
    func idle(for duration: Duration) -> Bool { ContinuousClock.now - state.withLockedValue { $0.last } > duration }
}
