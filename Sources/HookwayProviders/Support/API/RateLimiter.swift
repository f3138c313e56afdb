/// A token bucket: at most `perMinute` requests a minute, in bursts of at most a tenth of that
/// (so a restart's first minute does not spend the provider's whole window at once).
actor RateLimiter {
    private let perMinute: Int
    private let burst: Double
    private var tokens: Double
    private var last: ContinuousClock.Instant

    init(perMinute: Int) {
        self.perMinute = max(1, perMinute)
        self.burst = max(1, Double(self.perMinute) / 10)
        self.tokens = burst
        self.last = .now
    }

    /// Waits until a request may go; throws only on cancellation.
    func acquire() async throws {
        while true {
            refill()
            if tokens >= 1 {
                tokens -= 1
                return
            }
            let wait = (1 - tokens) * 60 / Double(perMinute)
            try await Task.sleep(for: .milliseconds(Int64(wait * 1000) + 1))
        }
    }

    /// After a 429: spend everything, so the next request waits at least a token's time.
    func drain() { tokens = min(tokens, 0) }

    private func refill() {
        let now = ContinuousClock.now
        let elapsed = now - last
        last = now
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = min(burst, tokens + seconds * Double(perMinute) / 60)
    }
}
