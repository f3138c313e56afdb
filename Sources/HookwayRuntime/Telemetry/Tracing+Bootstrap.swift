public import HookwayCore
public import Logging
import OTel
public import ServiceLifecycle
public import Tracing

/// Traces over OTLP (issue 30), configured by OpenTelemetry's standard variables and off unless
/// they ask for it: `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` set,
/// or `OTEL_TRACES_EXPORTER=otlp|console`; `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`
/// turn it off. `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER`(`_ARG`),
/// `OTEL_PROPAGATORS`, `OTEL_BSP_*` and `OTEL_EXPORTER_OTLP_*` (headers, timeout, protocol
/// `http/protobuf`) are read by swift-otel. Only traces: the metrics stay on `/metrics` and the
/// logs on stderr.
public enum TraceExport {
    /// The process's tracer and the exporter service that must run beside it.
    public struct Running: Sendable {
        public var tracer: any Tracer
        public var service: any Service
    }

    /// Why tracing could not start as the variables ask (exit 1 at start: a typo here would
    /// otherwise go unnoticed until someone looks for a trace).
    public struct StartError: HookwayError {
        public var code: ErrorCode { .tracingMisconfigured }
        public var message: String
        public var isRetriable: Bool { false }
        public var description: String { message }
    }

    /// Whether the variables turn tracing on.
    public static func isRequested(_ environment: [String: String]) -> Bool {
        if environment["OTEL_SDK_DISABLED"]?.lowercased() == "true" { return false }
        switch environment["OTEL_TRACES_EXPORTER"]?.lowercased() {
        case "none": return false
        case "otlp", "console": return true
        default:
            return [environment["OTEL_EXPORTER_OTLP_ENDPOINT"], environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]]
                .contains { !($0 ?? "").isEmpty }
        }
    }

    /// Bootstraps the process-wide tracer when the variables ask for tracing; `nil` when they
    /// do not (then every span is a no-op and the ingress does no span work at all).
    /// Once per process: `InstrumentationSystem` takes one bootstrap.
    public static func bootstrap(serviceName: String, environment: [String: String], logger: Logger) throws(StartError) -> Running? {
        guard isRequested(environment) else { return nil }
        if environment["OTEL_EXPORTER_OTLP_PROTOCOL"] == "grpc" || environment["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] == "grpc" {
            throw StartError(message: "OTLP over gRPC is not built into hookway; use OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf (the default)")
        }
        var configuration = OTel.Configuration.default
        configuration.serviceName = serviceName
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.enabled = true
        configuration.diagnosticLogger = .custom(logger)
        configuration.diagnosticLogLevel = .warning
        do {
            let backend = try OTel.makeTracingBackend(configuration: configuration)
            InstrumentationSystem.bootstrap(backend.factory)
            logger.info("tracing on: spans exported over OTLP", metadata: ["service": "\(environment["OTEL_SERVICE_NAME"] ?? serviceName)"])
            return Running(tracer: backend.factory, service: backend.service)
        } catch {
            throw StartError(message: "cannot start tracing from the OTEL_* variables: \(error)")
        }
    }
}

extension ErrorCode {
    /// The `OTEL_*` variables ask for tracing that cannot be set up.
    public static let tracingMisconfigured: ErrorCode = "tracing_misconfigured"
}
