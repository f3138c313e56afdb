import HookwayKafka
import NIOConcurrencyHelpers

/// Waits for one event's sends to every topic with a single completion: it settles on the
/// first failure, when the last topic acknowledges, or when the deadline fires — whichever is
/// first — and ignores everything after that (a late report after a timeout is harmless: the
/// event id deduplicates a provider's retry).
final class PublishGate: Sendable {
    /// `nil`: the deadline passed first.
    typealias Outcome = Result<[DeliveryReport], KafkaError>?
    typealias Completion = @Sendable (Outcome) -> Void

    struct State {
        var completion: Completion?
        var remaining: Int
        var reports: [DeliveryReport] = []
    }

    let state: NIOLockedValueBox<State>

    init(topics: Int, completion: @escaping Completion) {
        state = NIOLockedValueBox(State(completion: completion, remaining: topics))
    }

    func report(_ result: Result<DeliveryReport, KafkaError>) {
        let settle = state.withLockedValue { state -> (Completion, Outcome)? in
            guard let completion = state.completion else { return nil }
            switch result {
            case .success(let report):
                state.reports.append(report)
                state.remaining -= 1
                guard state.remaining == 0 else { return nil }
                state.completion = nil
                return (completion, .success(state.reports))
            case .failure(let error):
                state.completion = nil
                return (completion, .failure(error))
            }
        }
        // Called outside the lock: a completion may do real work (answer the request).
        if let (completion, outcome) = settle { completion(outcome) }
    }

    func expire() {
        let completion = state.withLockedValue { state -> Completion? in
            defer { state.completion = nil }
            return state.completion
        }
        completion?(nil)
    }
}

extension KafkaProducer {
    /// Sends one message to each of `topics`; `completion` gets all acknowledgements, the first
    /// failure, or `nil` once `timeout` passed (`nil` for none) — no task per topic or timer. It
    /// is called exactly once — from the producer's poll thread, the deadline sweeper, or (an
    /// empty topic list, a send that cannot be queued) before this returns, and must be quick.
    func sendToAll(
        topics: [String],
        key: [UInt8],
        value: [UInt8],
        headers: [KafkaHeader],
        timeout: Duration?,
        sweeper: DeadlineSweeper = .shared,
        completion: @escaping PublishGate.Completion
    ) {
        guard !topics.isEmpty else { return completion(.success([])) }
        let gate = PublishGate(topics: topics.count, completion: completion)
        if let timeout { sweeper.after(timeout) { gate.expire() } }
        for topic in topics {
            send(topic: topic, key: key, value: value, headers: headers) { gate.report($0) }
        }
    }
}
