import Foundation
import HookwayTesting
import NIOConcurrencyHelpers

/// Sends signed Bitnob webhooks at a steady rate and keeps every answer, so a fault test can
/// check one by one that each 200 is in Kafka.
final class LoadGenerator: Sendable {
    struct Outcome: Sendable {
        var id: String?
        var status: Int
        var spooled: Bool
        var answeredAt = ContinuousClock.now
    }

    let outcomes = NIOLockedValueBox<[Outcome]>([])
    let stopFlag = NIOLockedValueBox(false)
    let send: @Sendable ([UInt8], String) async throws -> IngressHarness.Answer
    let body: @Sendable () -> [UInt8]

    init(
        body: @escaping @Sendable () -> [UInt8] = { Bodies.bitnob() },
        send: @escaping @Sendable ([UInt8], String) async throws -> IngressHarness.Answer
    ) {
        self.send = send
        self.body = body
    }

    /// Runs until `stop()`, one request every `interval`, each on its own task (open loop).
    func start(interval: Duration = .milliseconds(40)) -> Task<Void, Never> {
        Task {
            await withTaskGroup(of: Void.self) { group in
                while !stopFlag.withLockedValue({ $0 }) {
                    group.addTask {
                        let body = self.body()
                        let outcome: Outcome
                        do {
                            let answer = try await self.send(body, Sign.bitnob(body))
                            outcome = Outcome(
                                id: answer.json?["id"]?.stringValue,
                                status: answer.status,
                                spooled: answer.json?["spooled"] == .bool(true)
                            )
                        } catch {
                            outcome = Outcome(id: nil, status: 0, spooled: false)
                        }
                        self.outcomes.withLockedValue { $0.append(outcome) }
                    }
                    try? await Task.sleep(for: interval)
                }
            }
        }
    }

    func stop() { stopFlag.withLockedValue { $0 = true } }

    /// Waits, answer by answer, until `condition` holds for the answers so far (or fails after
    /// `timeout`): fault tests move on when the effect they wait for has shown, not after a guess.
    func waitUntil(_ what: String, timeout: Duration = .seconds(60), _ condition: ([Outcome]) -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition(outcomes.withLockedValue { $0 }) {
            guard ContinuousClock.now < deadline else { throw HarnessError(message: "load: timed out waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits for `count` answers with `status` answered after `since` (spooled or direct as asked).
    func waitFor(
        _ count: Int,
        status: Int = 200,
        spooled: Bool? = nil,
        since: ContinuousClock.Instant = .now - .seconds(3600),
        timeout: Duration = .seconds(60)
    ) async throws {
        try await waitUntil("\(count) × \(status)\(spooled.map { $0 ? " spooled" : " direct" } ?? "")", timeout: timeout) { all in
            all.filter { outcome in
                outcome.status == status && outcome.answeredAt > since && (spooled.map { outcome.spooled == $0 } ?? true)
            }.count >= count
        }
    }

    var summary: (sent: Int, ok: Int, spooled: Int, unavailable: Int, failed: Int) {
        let all = outcomes.withLockedValue { $0 }
        return (
            all.count, all.filter { $0.status == 200 }.count, all.filter(\.spooled).count,
            all.filter { $0.status == 503 }.count, all.filter { $0.status != 200 && $0.status != 503 }.count
        )
    }

    var acknowledgedIDs: [String] { outcomes.withLockedValue { $0 }.filter { $0.status == 200 }.compactMap(\.id) }
    var spooledIDs: [String] { outcomes.withLockedValue { $0 }.filter(\.spooled).compactMap(\.id) }
    /// Events the spool took after `instant` (so the spool, not an earlier broker, holds them).
    func spooledIDs(after instant: ContinuousClock.Instant) -> [String] {
        outcomes.withLockedValue { $0 }.filter { $0.spooled && $0.answeredAt > instant }.compactMap(\.id)
    }
    /// Outcomes answered between two instants.
    func outcomes(between start: ContinuousClock.Instant, and end: ContinuousClock.Instant) -> [Outcome] {
        outcomes.withLockedValue { $0 }.filter { $0.answeredAt > start && $0.answeredAt < end }
    }
    var directIDs: [String] { outcomes.withLockedValue { $0 }.filter { $0.status == 200 && !$0.spooled }.compactMap(\.id) }
}
