import CRdKafka
import Testing

@testable import HookwayKafka

@Suite("Configuration rendering")
struct ConfigurationTests {
    private func lastValue(_ key: String, in pairs: [(key: String, value: String)]) -> String? {
        pairs.last { $0.key == key }?.value
    }

    @Test("Producer: typed fields render, pass-through wins over them, durability is enforced last")
    func producerProperties() {
        var configuration = KafkaProducerConfiguration(bootstrapServers: "a:1,b:2")
        configuration.messageTimeout = .milliseconds(2500)
        configuration.properties = ["acks": "1", "enable.idempotence": "false", "linger.ms": "50"]
        let pairs = configuration.rdKafkaProperties
        #expect(lastValue("bootstrap.servers", in: pairs) == "a:1,b:2")
        #expect(lastValue("message.timeout.ms", in: pairs) == "2500")
        #expect(lastValue("linger.ms", in: pairs) == "50")
        #expect(lastValue("acks", in: pairs) == "all")
        #expect(lastValue("enable.idempotence", in: pairs) == "true")
        #expect(configuration.overriddenEnforcedProperties.sorted() == ["acks=1", "enable.idempotence=false"])
    }

    @Test("Consumer: auto-commit and auto offset store are always off")
    func consumerProperties() {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: "a:1", groupID: "g", topics: ["t"])
        configuration.properties = ["enable.auto.commit": "true", "enable.auto.offset.store": "true"]
        let pairs = configuration.rdKafkaProperties
        #expect(lastValue("enable.auto.commit", in: pairs) == "false")
        #expect(lastValue("enable.auto.offset.store", in: pairs) == "false")
        #expect(lastValue("session.timeout.ms", in: pairs) == "10000")
        #expect(lastValue("auto.offset.reset", in: pairs) == "earliest")
    }

    @Test("Errors carry librdkafka's names and classification")
    func errorsFromResponseCodes() {
        let timedOut = KafkaError(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)
        #expect(timedOut.code == .messageTimedOut)
        #expect(timedOut.isRetriable)
        #expect(!timedOut.isFatal)
        let fenced = KafkaError(RD_KAFKA_RESP_ERR_PRODUCER_FENCED)
        #expect(fenced.isFatal)
        #expect(KafkaError(RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION).isRetriable)
        #expect("\(timedOut)".hasPrefix("KafkaError(_MSG_TIMED_OUT)"))
    }
}
