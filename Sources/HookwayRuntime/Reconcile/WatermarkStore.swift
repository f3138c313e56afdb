import HookwayCore
import HookwayKafka
import NIOConcurrencyHelpers

/// Reconcile watermarks in the compacted topic ``Reconciler/watermarkTopic``: key = source
/// name, value = `{"source", "watermark", "updatedAt"}`. The last record of a key wins.
struct WatermarkStore: Sendable {
    let brokers: String
    let routes: RoutesConfig

    /// The source's stored watermark, `nil` before its first run.
    func read(source: String) async throws(ReconcileError) -> Timestamp? {
        let latest = NIOLockedValueBox<Timestamp?>(nil)
        do {
            try await KafkaTopicReader.read(bootstrapServers: brokers, topics: [Reconciler.watermarkTopic], properties: routes.kafka.consumer) {
                message in
                guard let key = message.key, String(decoding: key, as: UTF8.self) == source, let value = message.value,
                    let json = try? JSONParser.parse(value),  // nil: a foreign record in our topic; the next one may be ours
                    let text = json["watermark"]?.stringValue, let watermark = Timestamp(rfc3339: text)
                else { return }
                latest.withLockedValue { $0 = watermark }
            }
        } catch {
            throw ReconcileError(
                code: .reconcileKafka,
                "reading the watermark of \(source) from \(Reconciler.watermarkTopic): \(error)",
                retriable: true
            )
        }
        return latest.withLockedValue { $0 }
    }

    /// Stores `watermark` and waits for the acknowledgement.
    func write(source: String, watermark: Timestamp, producer: KafkaProducer) async throws(ReconcileError) {
        await ensureTopic()
        let value = JSONWriter.encode(
            .object([
                JSONMember("source", .string(source)), JSONMember("watermark", .string(watermark.rfc3339)),
                JSONMember("updatedAt", .string(Timestamp.now().rfc3339)),
            ])
        )
        do {
            _ = try await producer.send(topic: Reconciler.watermarkTopic, key: Array(source.utf8), value: value)
        } catch {
            throw ReconcileError(code: .reconcileKafka, "storing the watermark of \(source): \(error)", retriable: true)
        }
    }

    /// Creates the topic compacted; a broker that refuses the config (some Kafka-compatible
    /// brokers) gets it plain — the last record per key still wins when reading.
    func ensureTopic() async {
        let admin = KafkaAdmin(bootstrapServers: brokers)
        let kafka = routes.kafka
        do {
            try await admin.createTopics(
                [Reconciler.watermarkTopic],
                partitions: 1,
                replicationFactor: kafka.replicationFactor,
                configs: ["cleanup.policy": "compact"],
                timeout: .seconds(10)
            )
        } catch {
            try? await admin.createTopics(
                [Reconciler.watermarkTopic],
                partitions: 1,
                replicationFactor: kafka.replicationFactor,
                timeout: .seconds(10)
            )  // a failure shows in the send that follows
        }
    }
}
