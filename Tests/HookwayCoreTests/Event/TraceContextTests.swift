import Testing

@testable import HookwayCore

@Suite("TraceContext")
struct TraceContextTests {
    static let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    @Test(
        "only W3C version-00 traceparents are kept",
        arguments: [
            (traceparent, true),
            ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", true),
            ("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false),  // unknown version
            ("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", false),  // upper case
            ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", false),  // zero trace id
            ("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false),  // zero span id
            ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", false),
            ("00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01", false),  // misplaced dash
            ("00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01", false),
            ("", false),
            ("00-é-x-01", false),
        ]
    )
    func traceparentSyntax(_ text: String, valid: Bool) {
        #expect((TraceContext(traceparent: text, tracestate: nil) != nil) == valid)
    }

    @Test func idsAndAnUnusableTracestate() throws {
        let context = try #require(TraceContext(traceparent: Self.traceparent, tracestate: "congo=t61rcWkgMzE"))
        #expect(context.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(context.spanID == "00f067aa0ba902b7")
        #expect(context.tracestate == "congo=t61rcWkgMzE")
        #expect(TraceContext(traceparent: Self.traceparent, tracestate: String(repeating: "a", count: 513))?.tracestate == nil)
        #expect(TraceContext(traceparent: Self.traceparent, tracestate: "k=v\n")?.tracestate == nil)
    }

    @Test("the context travels in both CloudEvents modes and reads back", arguments: [CloudEventsMode.structured, .binary])
    func roundTrip(_ mode: CloudEventsMode) throws {
        var event = EventTests.sampleEvent()
        event.traceContext = TraceContext(traceparent: Self.traceparent, tracestate: "vendor=1")
        let message = event.kafkaMessage(mode)
        let headers = Dictionary(message.headers.map { ($0.key, String(decoding: $0.value, as: UTF8.self)) }) { _, last in last }
        #expect(headers["traceparent"] == Self.traceparent)
        #expect(headers["tracestate"] == "vendor=1")
        if mode == .binary {
            #expect(headers["ce_traceparent"] == Self.traceparent)
        } else {
            #expect(String(decoding: message.value, as: UTF8.self).contains(#""traceparent":"\#(Self.traceparent)""#))
        }
        let decoded = try Event.decode(value: message.value, headers: message.headers)
        #expect(decoded.traceContext == event.traceContext)
        #expect(decoded == event)
    }

    @Test func anEventWithoutContextHasNoTraceHeaders() {
        for mode in [CloudEventsMode.structured, .binary] {
            #expect(!EventTests.sampleEvent().kafkaMessage(mode).headers.contains { $0.key.hasSuffix("traceparent") })
        }
    }

    @Test func thePlainHeadersServeAnEventThatHasNoExtension() throws {
        let plain = EventTests.sampleEvent().kafkaMessage(.structured)
        let withHeader = plain.headers + [("traceparent", Array(Self.traceparent.utf8))]
        #expect(try Event.decode(value: plain.value, headers: withHeader).traceContext?.traceparent == Self.traceparent)
        let garbage = plain.headers + [("traceparent", Array("00-zz".utf8))]
        #expect(try Event.decode(value: plain.value, headers: garbage).traceContext == nil)
    }
}
