public import HookwayCore
public import Logging
import Tracing

extension Logger.MetadataProvider {
    /// `trace_id` and `span_id` of the task's current span, on every log line written inside
    /// one (a sink's delivery, a provider API call); nothing outside a span or with tracing off.
    public static let traceIDs = Logger.MetadataProvider {
        guard let context = ServiceContext.current, let trace = TraceContext(of: context) else { return [:] }
        return trace.logMetadata
    }
}

extension TraceContext {
    /// `trace_id` and `span_id`, the names log pipelines join traces on.
    public var logMetadata: Logger.Metadata {
        ["trace_id": "\(traceID)", "span_id": "\(spanID)"]
    }
}
