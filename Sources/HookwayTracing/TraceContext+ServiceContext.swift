public import HookwayCore
public import HookwayKafka
public import Tracing

extension TraceContext {
    /// The W3C context of `context`'s span as `instrument` propagates it; `nil` when there is
    /// no span (tracing off, or no span started) or the propagator is not W3C Trace Context.
    public init?(of context: ServiceContext, instrument: any Instrument = InstrumentationSystem.instrument) {
        var fields: [String: String] = [:]
        instrument.inject(context, into: &fields, using: DictionaryCarrier())
        self.init(traceparent: fields["traceparent"], tracestate: fields["tracestate"])
    }

    /// A service context whose span is the one this context names (remote): the parent of the
    /// spans that continue the trace, or a span link's target.
    public func serviceContext(instrument: any Instrument = InstrumentationSystem.instrument) -> ServiceContext {
        var context = ServiceContext.topLevel
        var fields = ["traceparent": traceparent]
        if let tracestate { fields["tracestate"] = tracestate }
        instrument.extract(fields, into: &context, using: DictionaryCarrier())
        return context
    }
}

extension TraceContext {
    /// The context in a Kafka message's `traceparent` / `tracestate` headers.
    public init?(headers: [KafkaHeader]) {
        self.init { name in headers.last { $0.key == name }?.value }
    }

    /// `traceparent` (and `tracestate`) as Kafka headers: for messages that are not events
    /// (outcomes) but belong to an event's trace.
    public var kafkaHeaders: [KafkaHeader] {
        var headers = [KafkaHeader(key: "traceparent", value: Array(traceparent.utf8))]
        if let tracestate { headers.append(KafkaHeader(key: "tracestate", value: Array(tracestate.utf8))) }
        return headers
    }
}
