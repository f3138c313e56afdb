import HookwayKafka
import Testing

@testable import HookwayIngress

/// The publisher's decisions, without Kafka: classification, topic management, producer
/// replacement and health (issue 16 §1, §4).
@Suite struct PublisherStateMachineTests {
    final class FakeProducer: Sendable {
        let name: String
        init(_ name: String) { self.name = name }
    }

    static func machine() -> PublisherStateMachine<FakeProducer> {
        PublisherStateMachine(producer: FakeProducer("first"), topicSettings: .init(autoCreate: true, partitions: 3, replicationFactor: 1))
    }

    static func error(_ name: String, retriable: Bool = false, fatal: Bool = false) -> KafkaError {
        KafkaError(code: .init(name: name), message: name, isRetriable: retriable, isFatal: fatal)
    }

    @Test(arguments: [
        ("_MSG_TIMED_OUT", true, false, PublishFailure.retriable(.init(name: "_MSG_TIMED_OUT"))),
        ("NOT_ENOUGH_REPLICAS", true, false, .retriable(.init(name: "NOT_ENOUGH_REPLICAS"))),
        ("NOT_LEADER_FOR_PARTITION", true, false, .retriable(.init(name: "NOT_LEADER_FOR_PARTITION"))),
        ("_TRANSPORT", true, false, .retriable(.init(name: "_TRANSPORT"))),
        ("MSG_SIZE_TOO_LARGE", false, false, .permanent(.init(name: "MSG_SIZE_TOO_LARGE"), tooLarge: true)),
        ("RECORD_LIST_TOO_LARGE", false, false, .permanent(.init(name: "RECORD_LIST_TOO_LARGE"), tooLarge: true)),
        ("TOPIC_AUTHORIZATION_FAILED", false, false, .permanent(.init(name: "TOPIC_AUTHORIZATION_FAILED"), tooLarge: false)),
        ("TOPIC_EXCEPTION", false, false, .permanent(.init(name: "TOPIC_EXCEPTION"), tooLarge: false)),
        ("INVALID_RECORD", false, false, .permanent(.init(name: "INVALID_RECORD"), tooLarge: false)),
        ("OUT_OF_ORDER_SEQUENCE_NUMBER", false, true, .fatal(.init(name: "OUT_OF_ORDER_SEQUENCE_NUMBER"))),
        ("_FATAL", false, true, .fatal(.init(name: "_FATAL"))),
        // Unknown to the table: an outage (spool or 503), never a success and never dropped.
        ("SOMETHING_NEW", false, false, .retriable(.init(name: "SOMETHING_NEW"))),
    ])
    func everyOutcomeIsClassified(name: String, retriable: Bool, fatal: Bool, expected: PublishFailure) {
        #expect(PublishFailure.classify(Self.error(name, retriable: retriable, fatal: fatal)) == expected)
    }

    @Test func failuresMapToActions() {
        var m = Self.machine()
        let actions = [
            m.failed(.permanent(.init(name: "TOPIC_AUTHORIZATION_FAILED"), tooLarge: false), topics: ["t"]),
            m.failed(.retriable(.init(name: "_MSG_TIMED_OUT")), topics: ["t"]),
            m.failed(.fatal(.init(name: "_FATAL")), topics: ["t"]),
        ]
        #expect(actions == [.reject, .outage, .replaceProducerThenOutage])
    }

    @Test func topicsAreCreatedOnceAndFailedCreationsWait() {
        var m = Self.machine()
        let t0 = ContinuousClock.now
        var asked: [[String]] = []
        asked.append(m.topicsToCreate(["a", "b"], now: t0))
        // A concurrent publish does not create them again while the first creation runs.
        asked.append(m.topicsToCreate(["a", "b", "c"], now: t0))
        m.topicsCreated(["a", "c"])
        m.topicCreationFailed(["b"], now: t0)
        asked.append(m.topicsToCreate(["a", "b"], now: t0 + .seconds(1)))
        asked.append(m.topicsToCreate(["a", "b"], now: t0 + .seconds(61)))
        m.topicsCreated(["b"])
        asked.append(m.topicsToCreate(["a"], now: t0, force: true))
        m.topicsCreated(["a"])
        // A retriable failure forgets the topics (the broker may have lost them).
        _ = m.failed(.retriable(.init(name: "_UNKNOWN_TOPIC")), topics: ["a"])
        asked.append(m.topicsToCreate(["a"], now: t0))
        m.topicSettings.autoCreate = false
        asked.append(m.topicsToCreate(["z"], now: t0))
        #expect(asked == [["a", "b"], ["c"], [], ["b"], ["a"], ["a"], []])
    }

    @Test func replacementsAreSpacedAndGenerationsGuardStaleReports() {
        var m = Self.machine()
        let t0 = ContinuousClock.now
        let first = m.beginReplacement(now: t0, ofGeneration: 1)
        #expect(first)
        let old = m.replaced(with: FakeProducer("second"))
        #expect(old.name == "first" && m.producer.name == "second" && m.generation == 2)
        let tooSoon = m.beginReplacement(now: t0 + .seconds(5))
        #expect(!tooSoon, "too soon after the last one")
        let stale = m.beginReplacement(now: t0 + .seconds(40), ofGeneration: 1)
        #expect(!stale, "a report about the replaced producer")
        let current = m.beginReplacement(now: t0 + .seconds(40), ofGeneration: 2)
        #expect(current)
    }

    @Test func threeTimeoutsWhileTheBrokerAnswersMeanAStuckProducer() {
        var m = Self.machine()
        var answers: [Bool] = []
        for brokerAnswers in [true, false, true, true, true] { answers.append(m.timedOut(brokerAnswers: brokerAnswers)) }
        // The second does not count (the broker was down: Kafka, not the producer); after the
        // verdict, counting starts over.
        #expect(answers == [false, false, false, true, false])
        m.delivered(now: .now)
        let afterDelivery = [m.timedOut(brokerAnswers: true), m.timedOut(brokerAnswers: true)]
        #expect(afterDelivery == [false, false])
    }

    @Test func healthFollowsTheLastAnswer() {
        var m = Self.machine()
        let t0 = ContinuousClock.now
        #expect(!m.isHealthy(now: t0))
        m.brokerAnswered(now: t0)
        #expect(m.isHealthy(now: t0 + .seconds(9)))
        #expect(!m.isHealthy(now: t0 + .seconds(11)))
        m.noteSpool(hasRoom: true, healthy: false)
        #expect(m.spoolHasRoom && !m.spoolHealthy)
    }

    @Test func readinessSaysWhichSideIsDown() {
        #expect(Readiness(kafkaReachable: false, spool: .ok).ready)
        #expect(!Readiness(kafkaReachable: false, spool: .unhealthy).ready)
        #expect(Readiness(kafkaReachable: true, spool: .full).ready)
        #expect(Readiness(kafkaReachable: false, spool: .off).json == #"{"status":"not ready","kafka":"unreachable","spool":"off"}"#)
    }

    @Test func readinessSaysWhyKafkaIsUnreachable() {
        let down = Readiness(
            kafkaReachable: false,
            spool: .off,
            kafkaError: .init(code: "_TRANSPORT", message: #"Local: Broker transport failure "x""#)
        )
        #expect(
            down.json
                == #"{"status":"not ready","kafka":"unreachable","spool":"off","kafkaError":{"code":"_TRANSPORT","message":"Local: Broker transport failure \"x\""}}"#
        )
        // Once reachable, an old probe failure is not shown.
        #expect(!Readiness(kafkaReachable: true, spool: .off, kafkaError: .init(code: "_TRANSPORT", message: "old")).json.contains("kafkaError"))
    }
}
