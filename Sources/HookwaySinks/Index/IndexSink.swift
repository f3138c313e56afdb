import Foundation
public import HookwayCore
public import HookwayKafka
public import Logging

/// The `index` sink: materializes outcomes (from `kafka.outcomeTopic`) and the events of its
/// other topics into SQL, for `hookway trace` and `hookway events`. Writes are grouped into
/// transactions (``GroupCommit``) and idempotent: a redelivered message changes nothing.
/// Events older than `retentionDays` are purged once an hour.
public struct IndexSink: RawMessageSink {
    let options: IndexOptions
    public let store: any IndexStore
    /// The outcome topic: its messages are outcomes, every other topic's are CloudEvents.
    let outcomeTopic: String?
    let writer: GroupCommit<[IndexRecord], Void>
    let logger: Logger

    public init(options: IndexOptions, store: any IndexStore, outcomeTopic: String?, logger: Logger) {
        self.options = options
        self.store = store
        self.outcomeTopic = outcomeTopic
        self.logger = logger
        self.writer = GroupCommit(maxBatch: options.batchSize) { batches in
            try await store.write(batches.flatMap { $0 })
            return batches.map { _ in () }
        }
    }

    /// Opens the store named by the options; `readOnly` for the commands. Its background work
    /// (PostgreSQL's client) runs in ``run()``, or in the caller's scope via `store.run()`.
    public static func make(
        _ config: SinkConfig,
        outcomeTopic: String?,
        logger: Logger = Logger(label: "hookway.index"),
        readOnly: Bool = false
    ) throws -> IndexSink {
        let (options, problems) = IndexOptions.parse(config)
        guard let options else { throw SinkError.permanent(.sinkConfigInvalid, problems.map(\.description).joined(separator: "; ")) }
        let database: LedgerOptions.Database
        do {
            database = try options.database.resolved(baseDirectory: config.baseDirectory)
        } catch {
            throw IndexStoreError("the index database \(error.message)")
        }
        let store: any IndexStore
        switch database {
        case .sqlite(let path): store = try SQLiteIndexStore(path: path, readOnly: readOnly)
        case .postgres(let url): store = try PostgresIndexStore(url: url, logger: logger, migrate: !readOnly)
        case .reference: throw IndexStoreError("the index database is a reference to a reference")
        }
        return IndexSink(options: options, store: store, outcomeTopic: outcomeTopic, logger: logger)
    }

    /// What a message means to the index.
    func record(_ message: KafkaMessage) throws(SinkError) -> IndexRecord {
        guard let value = message.value else { throw .permanent(.eventUnusable, "the message has no value") }
        if message.topic == outcomeTopic {
            do throws(OutcomeDecodingError) {
                return .outcome(try Outcome(bytes: value))
            } catch {
                throw .permanent(error.code, error.message)
            }
        }
        do throws(EventDecodingError) {
            let event = try Event.decode(value: value, headers: message.headers.map { ($0.key, $0.value ?? []) })
            return .event(
                id: event.id,
                summary: Outcome.Summary(event),
                position: Outcome.Position(topic: message.topic, partition: message.partition, offset: message.offset)
            )
        } catch {
            throw .permanent(error.code, "malformed: \(error.message)")
        }
    }

    public func deliver(message: KafkaMessage) async throws(SinkError) {
        let record = try record(message)
        try await write([record])
    }

    /// An event handed over directly (not through Kafka): indexed without a position.
    @discardableResult
    public func deliver(_ event: Event) async throws(SinkError) -> SinkOutcome {
        try await write([.event(id: event.id, summary: Outcome.Summary(event), position: nil)])
        return .delivered
    }

    func write(_ records: [IndexRecord]) async throws(SinkError) {
        do {
            try await writer.submit(records)
        } catch {
            throw .transient(.storageFailed, "index write failed: \(String(reflecting: error))")
        }
    }

    /// The batches' transactions, the store's client, and the hourly purge.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await writer.run() }
            group.addTask { await store.run() }
            group.addTask { await purgeHourly() }
        }
    }

    func purgeHourly() async {
        while !Task.isCancelled {
            let cutoff = Timestamp.now().millisecondsSinceEpoch - Int64(options.retentionDays) * 86_400_000
            do {
                let purged = try await store.purge(receivedBefore: cutoff)
                if purged > 0 {
                    logger.info("index retention: events purged", metadata: ["events": "\(purged)", "retentionDays": "\(options.retentionDays)"])
                }
            } catch {
                logger.warning("index retention purge failed; will retry", metadata: ["error": "\(error)"])
            }
            do {
                try await Task.sleep(for: .seconds(3600))
            } catch {
                return
            }
        }
    }

    public func shutdown() async {
        await store.close()
    }
}
