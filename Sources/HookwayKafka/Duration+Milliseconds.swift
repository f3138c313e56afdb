extension Duration {
    /// The duration in whole milliseconds, clamped to what librdkafka's `int` timeouts accept.
    var wholeMilliseconds: Int32 {
        let (seconds, attoseconds) = components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return Int32(clamping: max(0, milliseconds))
    }
}
