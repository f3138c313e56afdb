import Foundation
import HookwayKafka
import HookwayTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Delivery reports served by the application's IO loop", .timeLimit(.minutes(1)))
struct DeliveryReportWakeupTests {
    private func producer(_ cluster: KafkaMockCluster) throws -> KafkaProducer {
        var configuration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers)
        configuration.deliveryReportWakeups = true
        configuration.linger = .milliseconds(0)
        return try KafkaProducer(configuration: configuration, logger: testLogger("wakeup"))
    }

    /// Sends one message; the result and the thread its completion ran on.
    private func send(
        _ producer: KafkaProducer,
        topic: String,
        onDelivery: @escaping @Sendable (Result<DeliveryReport, KafkaError>, pthread_t) -> Void
    ) {
        producer.send(topic: topic, key: nil, value: [1]) { onDelivery($0, pthread_self()) }
    }

    @Test("The descriptor becomes readable and serve() runs the completion on the calling thread")
    func servedOnTheCallingThread() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        cluster.createTopic("wake", partitions: 1, replicationFactor: 1)
        let producer = try producer(cluster)
        let wakeup = try #require(producer.reportWakeup)
        let descriptor = try #require(wakeup.takeDescriptor())
        #expect(wakeup.takeDescriptor() == nil, "the descriptor is handed out once")
        let completed = Locked<(Result<DeliveryReport, KafkaError>, pthread_t)?>(nil)
        send(producer, topic: "wake") { result, thread in completed.withLock { $0 = (result, thread) } }

        let servingThread = await Self.onThread { () -> pthread_t in
            while completed.withLock({ $0 }) == nil {
                var pollfd = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                guard poll(&pollfd, 1, 10_000) == 1 else { break }
                var byte: UInt8 = 0
                while read(descriptor, &byte, 1) == 1 {}
                wakeup.serve()
            }
            return pthread_self()
        }
        let (result, thread) = try #require(completed.withLock { $0 })
        #expect(pthread_equal(thread, servingThread) != 0, "the completion ran where serve() was called")
        #expect(try result.get().offset == 0)

        await producer.shutdown(timeout: .seconds(5))
        let endOfFile = await Self.onThread { () -> Int in
            var byte: UInt8 = 0
            var pollfd = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            while poll(&pollfd, 1, 5_000) == 1 {
                let count = read(descriptor, &byte, 1)
                if count <= 0 { return count }
            }
            return -2
        }
        #expect(endOfFile == 0, "the producer closes its end when it is destroyed")
        close(descriptor)
    }

    @Test("A wake-up nobody serves delays the report by the poll thread's two looks, it never strands it")
    func unservedReportsAreSwept() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        cluster.createTopic("swept", partitions: 1, replicationFactor: 1)
        let producer = try producer(cluster)
        let descriptor = try #require(producer.reportWakeup?.takeDescriptor())
        defer { close(descriptor) }
        let started = ContinuousClock.now
        let report = try await producer.send(topic: "swept", key: nil, value: [2])
        #expect(report.offset == 0)
        #expect(ContinuousClock.now - started < .seconds(4))
        await producer.shutdown(timeout: .seconds(5))
    }

    @Test("After fallBackToPollThread the poll thread serves every report at once again")
    func fallBack() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        cluster.createTopic("fallback", partitions: 1, replicationFactor: 1)
        let producer = try producer(cluster)
        producer.reportWakeup?.fallBackToPollThread()
        let started = ContinuousClock.now
        for value in 0..<20 {
            let report = try await producer.send(topic: "fallback", key: nil, value: [UInt8(value)])
            #expect(report.offset == Int64(value))
        }
        // Served by the sweep alone, twenty sends would take about twenty seconds.
        #expect(ContinuousClock.now - started < .seconds(5))
        await producer.shutdown(timeout: .seconds(5))
    }

    /// Runs blocking `body` on a thread of its own, off the cooperative pool.
    private static func onThread<Value: Sendable>(_ body: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: body()) }.start()
        }
    }
}
