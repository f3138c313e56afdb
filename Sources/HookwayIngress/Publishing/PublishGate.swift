import HookwayKafka
import NIOConcurrencyHelpers

/// Waits for one event's sends to every topic with a single continuation: it settles on the
/// first failure, when the last topic acknowledges, or when the deadline fires — whichever is
/// first — and ignores everything after that (a late report after a timeout is harmless: the
/// event id deduplicates a provider's retry).
final class PublishGate: Sendable {
    /// `nil`: the deadline passed first.
    typealias Outcome = Result<[DeliveryReport], KafkaError>?

    struct State {
        var continuation: CheckedContinuation<Outcome, Never>?
        var remaining: Int
        var reports: [DeliveryReport] = []
    }

    let state: NIOLockedValueBox<State>

    init(topics: Int, continuation: CheckedContinuation<Outcome, Never>) {
        state = NIOLockedValueBox(State(continuation: continuation, remaining: topics))
    }

    func report(_ result: Result<DeliveryReport, KafkaError>) {
        let settle = state.withLockedValue { state -> (CheckedContinuation<Outcome, Never>, Outcome)? in
            guard let continuation = state.continuation else { return nil }
            switch result {
            case .success(let report):
                state.reports.append(report)
                state.remaining -= 1
                guard state.remaining == 0 else { return nil }
                state.continuation = nil
                return (continuation, .success(state.reports))
            case .failure(let error):
                state.continuation = nil
                return (continuation, .failure(error))
            }
        }
        if let (continuation, outcome) = settle { continuation.resume(returning: outcome) }
    }

    func expire() {
        let continuation = state.withLockedValue { state -> CheckedContinuation<Outcome, Never>? in
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: nil)
    }
}

extension KafkaProducer {
    /// Sends one message to each of `topics` and waits for all acknowledgements, the first
    /// failure, or `timeout` (`nil` for none) — one continuation, no task per topic or timer.
    func sendToAll(
        topics: [String],
        key: [UInt8],
        value: [UInt8],
        headers: [KafkaHeader],
        timeout: Duration?,
        sweeper: DeadlineSweeper = .shared
    ) async -> PublishGate.Outcome {
        guard !topics.isEmpty else { return .success([]) }
        return await withCheckedContinuation { continuation in
            let gate = PublishGate(topics: topics.count, continuation: continuation)
            if let timeout { sweeper.after(timeout) { gate.expire() } }
            for topic in topics {
                send(topic: topic, key: key, value: value, headers: headers) { gate.report($0) }
            }
        }
    }
}
