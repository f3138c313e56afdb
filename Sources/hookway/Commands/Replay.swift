import ArgumentParser
import Dispatch
import Foundation
import HookwayCore
import HookwayKafka
import HookwaySinks
import Logging
import NIOConcurrencyHelpers

/// `hookway replay SINK --since T`: re-delivers a time range of the sink's topics through the
/// sink's own delivery path (retries, dead letters), in a consumer group of its own.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-deliver a time range of a sink's topics through the sink (its own consumer group; the live one is untouched).",
        discussion: """
            Safe to repeat: the ledger books nothing twice, the email sink sends nothing twice, \
            the CRM gets the same Idempotency-Key. Ctrl-C stops cleanly and says how far it got.
            """
    )

    @Argument(help: "The sink to replay into.") var sink: String
    @OptionGroup var config: ConfigOption
    @OptionGroup var brokers: BrokersOption
    @Option(help: "From this time (RFC 3339, or 30m / 6h / 7d ago).") var since: String
    @Option(help: "Up to this time (default: the end of each partition when the replay starts).") var until: String?
    @Option(help: "Only types matching this glob, e.g. 'bitso.funding.*'.") var type: String?
    @Option(
        name: .customLong("where"),
        help: #"Only events satisfying this condition in the routes language, e.g. '{"field":"data.amount","gte":100}'."#
    )
    var condition: String?
    @Flag(help: "Print what would be replayed; deliver nothing.") var dryRun = false

    func run() async throws {
        // Ctrl-C from here on stops the replay cleanly (the runner, once there is one).
        let interruption = NIOLockedValueBox<(interrupted: Bool, runner: SinkRunner?)>((false, nil))
        signal(SIGINT, SIG_IGN)
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT)
        interrupt.setEventHandler {
            interruption.withLockedValue { state -> SinkRunner? in
                state.interrupted = true
                return state.runner
            }?.stop()
        }
        interrupt.resume()
        defer { interrupt.cancel() }
        var logger = Logger(label: "hookway.replay")
        logger.logLevel = .warning
        let routes = try config.load()
        guard var sinkConfig = routes.sinks[sink] else {
            printError("hookway replay: no sink named \"\(sink)\" in \(config.path); sinks: \(routes.sinkNames.joined(separator: ", "))")
            throw ExitCode(1)
        }
        let sinceTime = try parseTime(since, option: "since", command: "replay")
        let now = Timestamp.now()
        let askedUntil = try until.map { try parseTime($0, option: "until", command: "replay") }
        if let askedUntil, askedUntil <= sinceTime {
            printError("hookway replay: --until \(askedUntil.rfc3339) is not after --since \(sinceTime.rfc3339)")
            throw ExitCode(1)
        }
        // A time still to come is the log's end (some brokers answer a future time with offset 0).
        let untilTime = askedUntil.flatMap { $0 < now ? $0 : nil }
        let glob = try type.map { try parseGlob($0, command: "replay") }
        let conditions = try condition.map { try parseConditions($0, command: "replay") } ?? []
        let brokerList = brokers.resolve(routes)
        let ranges: [TopicPartition: OffsetRange]
        do {
            ranges = try await KafkaAdmin(bootstrapServers: brokerList)
                .offsetRange(
                    topics: sinkConfig.topics,
                    since: sinceTime.millisecondsSinceEpoch,
                    until: untilTime?.millisecondsSinceEpoch,
                    timeout: .seconds(15)
                )
        } catch {
            printError("hookway replay: cannot read the offsets of \(sinkConfig.topics.joined(separator: ", ")) at \(brokerList): \(error)")
            throw ExitCode(1)
        }
        let total = sinceTime < now ? ranges.values.reduce(0) { $0 + $1.count } : 0
        let window = "\(sinceTime.rfc3339) – \(untilTime?.rfc3339 ?? "now")"
        guard total > 0 else {
            printError(
                "hookway replay: nothing to replay: sink \"\(sink)\"'s topics (\(sinkConfig.topics.joined(separator: ", "))) hold no message in \(window)"
            )
            throw ExitCode(1)
        }
        let filters = [type.map { "type \($0)" }, condition.map { "where \($0)" }].compactMap { $0 }
        say(
            "replay \(sink): \(total) message(s) of \(sinkConfig.topics.joined(separator: ", ")) in \(window)"
                + (filters.isEmpty ? "" : ", only \(filters.joined(separator: " and "))")
        )
        if dryRun {
            for (tp, range) in ranges.sorted(by: { $0.key < $1.key }) where range.count > 0 {
                say("  \(tp.topic)[\(tp.partition)] offsets \(range.start)..<\(range.end) (\(range.count))")
            }
            say("dry run: nothing delivered")
            return
        }

        sinkConfig.group = "hookway.replay.\(sink).\(Timestamp.now().millisecondsSinceEpoch)"
        let tally = NIOLockedValueBox(ReplayTally())
        let bounds = (since: sinceTime.millisecondsSinceEpoch, until: untilTime?.millisecondsSinceEpoch ?? Int64.max)
        let ends = ranges.mapValues(\.end)
        let replay = SinkRunner.Replay(
            startOffsets: ranges.mapValues(\.start),
            select: { message, event in
                guard let end = ends[TopicPartition(topic: message.topic, partition: message.partition)], message.offset < end else { return false }
                // The broker chose the offsets by time; the message's own timestamp decides.
                if let at = message.timestamp, at < bounds.since || at >= bounds.until { return Self.passOver(tally) }
                if let glob, let event, !glob.matches(event.type) { return Self.passOver(tally) }
                if let event, !conditions.allSatisfy({ $0.isSatisfied(by: event) }) { return Self.passOver(tally) }
                return true
            },
            observe: { outcome in tally.withLockedValue { $0.counts[outcome.kind.rawValue, default: 0] += 1 } }
        )
        let producer = try KafkaProducer.forCommand(clientID: "hookway-replay", brokers: brokerList, routes: routes, logger: logger)
        let built: any Sink
        do {
            built = try SinkRegistry.make(sinkConfig, context: SinkContext(logger: logger, producer: producer, routes: routes, brokers: brokerList))
        } catch {
            let failure = describe(error)
            printError("hookway replay: cannot start sink \"\(sink)\": \(failure.message) [\(failure.code)]")
            await producer.shutdown(timeout: .seconds(5))
            throw ExitCode(1)
        }
        let runner = SinkRunner(
            config: sinkConfig,
            sink: built,
            brokers: brokerList,
            consumerProperties: routes.kafka.consumer,
            producer: producer,
            logger: logger,
            topicPartitions: routes.kafka.partitions,
            topicReplication: routes.kafka.replicationFactor,
            outcomeTopic: routes.kafka.outcomeTopic,
            replay: replay
        )
        let stopNow = interruption.withLockedValue { state -> Bool in
            state.runner = runner
            return state.interrupted
        }
        if stopNow { runner.stop() }

        let progress = ReplayProgress(total: total, terminal: isatty(STDOUT_FILENO) == 1)
        // The furthest the run got: positions are forgotten when its consumer leaves the group.
        let reached = NIOLockedValueBox<Int64>(0)
        @Sendable func measure() -> Int64 {
            let now = Self.done(ranges, positions: runner.positions)
            return reached.withLockedValue {
                $0 = max($0, now)
                return $0
            }
        }
        let failure: (any Error)? = await withTaskGroup(of: (any Error)?.self) { group in
            group.addTask {
                do {
                    try await runner.run()
                    return nil
                } catch {
                    return error
                }
            }
            group.addTask {
                // Until every partition has reached its end offset (or the run ended).
                while !Task.isCancelled {
                    let done = measure()
                    progress.show(done)
                    if done >= total {
                        runner.stop()
                        return nil
                    }
                    try? await Task.sleep(for: .milliseconds(250))
                }
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        let done = measure()
        progress.finish(done)
        await producer.shutdown(timeout: .seconds(10))
        let counts = tally.withLockedValue { $0 }
        let summary =
            counts.counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            + (counts.passedOver > 0 ? ["passed over \(counts.passedOver)"] : [])
        say("outcomes: \(summary.isEmpty ? "none" : summary.joined(separator: ", "))")
        if let failure {
            printError("hookway replay: the sink's consumer failed after \(done) of \(total): \(failure)")
            throw ExitCode(1)
        }
        if interruption.withLockedValue({ $0.interrupted }) {
            printError("hookway replay: interrupted after \(done) of \(total) message(s); running it again is safe (what was done is skipped)")
            throw ExitCode(130)
        }
        say("replayed \(done) of \(total) message(s)")
    }

    /// Messages finished so far: per partition, how far its position is into its range.
    static func done(_ ranges: [TopicPartition: OffsetRange], positions: [TopicPartition: Int64]) -> Int64 {
        ranges.reduce(0) { sum, entry in
            let (tp, range) = entry
            guard range.count > 0, let position = positions[tp] else { return sum }
            return sum + min(max(position, range.start), range.end) - range.start
        }
    }

    static func passOver(_ tally: NIOLockedValueBox<ReplayTally>) -> Bool {
        tally.withLockedValue { $0.passedOver += 1 }
        return false
    }
}

/// What a replay did, by outcome kind.
struct ReplayTally: Sendable {
    var counts: [String: Int] = [:]
    var passedOver = 0
}

/// A progress bar on a terminal (events/s, ETA); a plain line every few seconds otherwise.
final class ReplayProgress: Sendable {
    let total: Int64
    let terminal: Bool
    let started = ContinuousClock.now
    let lastLine = NIOLockedValueBox(ContinuousClock.now)

    init(total: Int64, terminal: Bool) {
        self.total = total
        self.terminal = terminal
    }

    func show(_ done: Int64) {
        let now = ContinuousClock.now
        let due = lastLine.withLockedValue { last -> Bool in
            guard terminal || now - last >= .seconds(5) else { return false }
            last = now
            return true
        }
        guard due else { return }
        let line = text(done, now: now)
        if terminal {
            FileHandle.standardOutput.write(Data(("\r" + line).utf8))
        } else {
            say(line)
        }
    }

    func finish(_ done: Int64) {
        if terminal { FileHandle.standardOutput.write(Data("\r\(text(done, now: .now))\n".utf8)) }
    }

    func text(_ done: Int64, now: ContinuousClock.Instant) -> String {
        let elapsed = max(0.001, Double((now - started).components.seconds) + Double((now - started).components.attoseconds) / 1e18)
        let rate = Double(done) / elapsed
        let share = total == 0 ? 1 : Double(done) / Double(total)
        let width = 30
        let filled = min(width, Int(share * Double(width)))
        let eta = rate > 0 ? "ETA \(Int(Double(total - done) / rate))s" : "ETA ?"
        return
            "[\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] \(Int(share * 100))% \(done)/\(total) \(Int(rate))/s \(eta)"
    }
}

/// One line to standard output, written at once (not held in a buffer when the output is a
/// file or a pipe: a replay's progress is read as it comes).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
