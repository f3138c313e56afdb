public import HookwayCore

extension RetryPolicy {
    /// The wait before attempt `attempt + 1` (attempt counts from 1): exponential from
    /// `backoffMs`, capped at `maxBackoffMs`, with "equal jitter" (half fixed, half random) so
    /// a fleet of consumers does not retry in lockstep.
    public func delay(afterAttempt attempt: Int, random: Double = Double.random(in: 0...1)) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let raw = min(Double(maxBackoffMs), Double(backoffMs) * Double(1 << exponent))
        let jittered = raw / 2 + raw / 2 * random
        return .milliseconds(Int64(jittered))
    }
}
