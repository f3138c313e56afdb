import HookwayKafka
import HookwayTesting
import Testing

@Suite("Producer failures", .timeLimit(.minutes(1)))
struct ProducerFailureTests {
    /// librdkafka#4627: a produce with headers that librdkafka refuses after building the
    /// message (here: a topic it was just told it may not write) freed the headers twice and
    /// crashed the process. Now it is an error the caller can classify.
    @Test("A produce with headers refused by librdkafka is an error, not a crash")
    func refusedProduceWithHeadersIsAnError() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        cluster.createTopic("refused", partitions: 1, replicationFactor: 1)
        cluster.pushRequestErrors(apiKey: 0, errors: [29])
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: testLogger("refused"))
        let headers = [KafkaHeader(key: "ce_id", value: Array("e1".utf8)), KafkaHeader(key: "empty", value: nil)]
        var codes: [String] = []
        for _ in 0..<3 {
            do throws(KafkaError) {
                _ = try await producer.send(topic: "refused", key: Array("k".utf8), value: Array("v".utf8), headers: headers)
                codes.append("ok")
            } catch {
                codes.append(error.code.name)
            }
        }
        #expect(codes.first == "TOPIC_AUTHORIZATION_FAILED", "\(codes)")
        await producer.shutdown(timeout: .seconds(2))
        withExtendedLifetime(cluster) {}
    }

    @Test("With no broker listening, send fails with a typed, retriable error within message.timeout")
    func sendToDeadPortFailsWithinMessageTimeout() async throws {
        var configuration = KafkaProducerConfiguration(bootstrapServers: "127.0.0.1:\(try TansuBroker.unusedPort())")
        configuration.messageTimeout = .seconds(2)
        let producer = try KafkaProducer(configuration: configuration, logger: testLogger("dead-port"))

        let start = ContinuousClock.now
        let error = await #expect(throws: KafkaError.self) {
            try await producer.send(topic: "nowhere", key: nil, value: Array("hello".utf8))
        }
        let elapsed = ContinuousClock.now - start
        #expect(error?.code == .messageTimedOut)
        #expect(error?.isRetriable == true)
        #expect(error?.isFatal == false)
        // 2 s message timeout plus slack for a loaded 2-core machine running every suite at once.
        #expect(elapsed < .seconds(8), "failed after \(elapsed)")
        #expect(producer.inFlightCount == 0)
        await producer.shutdown(timeout: .seconds(1))
    }

    @Test("Shutdown answers every outstanding send, and later sends fail as closed")
    func shutdownAnswersOutstandingSends() async throws {
        var configuration = KafkaProducerConfiguration(bootstrapServers: "127.0.0.1:\(try TansuBroker.unusedPort())")
        configuration.messageTimeout = .seconds(30)
        let producer = try KafkaProducer(configuration: configuration, logger: testLogger("shutdown"))

        let start = ContinuousClock.now
        let outcomes = try await withThrowingTaskGroup(of: KafkaError.Code?.self) { group in
            for _ in 0..<100 {
                group.addTask {
                    do throws(KafkaError) {
                        _ = try await producer.send(topic: "nowhere", key: nil, value: [1, 2, 3])
                        return nil
                    } catch {
                        return error.code
                    }
                }
            }
            while producer.inFlightCount < 100 { try await Task.sleep(for: .milliseconds(10)) }
            await producer.shutdown(timeout: .milliseconds(200))
            return try await group.reduce(into: [KafkaError.Code?]()) { $0.append($1) }
        }
        #expect(outcomes.count == 100)
        let expected: Set<KafkaError.Code> = [.purgedFromQueue, .purgedInFlight, .closed]
        let unexpected = outcomes.filter { code in code.map { !expected.contains($0) } ?? true }
        #expect(unexpected.isEmpty, "sends that did not end in a purge: \(unexpected)")
        #expect(ContinuousClock.now - start < .seconds(10))

        let late = await #expect(throws: KafkaError.self) {
            try await producer.send(topic: "nowhere", key: nil, value: nil)
        }
        #expect(late?.code == .closed)
        await #expect(throws: KafkaError.self) { try await producer.flush(timeout: .seconds(1)) }
    }

    @Test("Durability settings cannot be overridden; unknown properties are rejected with config")
    func configurationIsValidated() throws {
        var configuration = KafkaProducerConfiguration(bootstrapServers: "127.0.0.1:1")
        configuration.properties["no.such.property"] = "1"
        let error = #expect(throws: KafkaError.self) {
            _ = try KafkaProducer(configuration: configuration, logger: testLogger("config"))
        }
        #expect(error?.code == .config)
    }
}
