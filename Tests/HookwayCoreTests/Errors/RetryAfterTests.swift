import HookwayCore
import Testing

/// `Retry-After` from outside: every form parsed, every value bounded, nothing traps.
struct RetryAfterTests {
    static let now = Timestamp(rfc3339: "1994-11-06T08:49:00Z")!

    @Test(arguments: [
        ("7", Duration.seconds(7)),
        (" 0 ", .zero),
        ("300", .seconds(300)),
        ("301", RetryAfter.maximum),
        ("100000", RetryAfter.maximum),
        ("9223372036854775807", RetryAfter.maximum),
        ("99999999999999999999999999999999", RetryAfter.maximum),
        ("0000000000000000000000000000005", .seconds(5)),
        ("Sun, 06 Nov 1994 08:49:37 GMT", .seconds(37)),
        ("Sunday, 06-Nov-94 08:49:37 GMT", .seconds(37)),
        ("Sun Nov  6 08:49:37 1994", .seconds(37)),
        ("Sun, 06 Nov 1994 08:00:00 GMT", .zero),
        ("Fri, 31 Dec 9999 23:59:59 GMT", RetryAfter.maximum),
    ])
    func parsesAndClamps(value: String, expected: Duration) {
        #expect(RetryAfter.parse(value, now: Self.now) == expected, "\(value)")
    }

    @Test(arguments: ["", "-1", "1.5", "soon", "Sun, 99 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT", "١٢"])
    func refusesWhatIsNeitherForm(value: String) {
        #expect(RetryAfter.parse(value, now: Self.now) == nil, "\(value)")
    }
}
