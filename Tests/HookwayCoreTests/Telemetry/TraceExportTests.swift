import HookwayRuntime
import Logging
import Testing

/// Tracing is off unless OpenTelemetry's standard variables ask for it (issue 30).
@Suite("TraceExport")
struct TraceExportTests {
    @Test(
        "which variables turn tracing on",
        arguments: [
            ([:], false),
            (["OTEL_SERVICE_NAME": "hookway"], false),
            (["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"], true),
            (["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"], true),
            (["OTEL_EXPORTER_OTLP_ENDPOINT": ""], false),
            (["OTEL_TRACES_EXPORTER": "otlp"], true),
            (["OTEL_TRACES_EXPORTER": "console"], true),
            (["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_TRACES_EXPORTER": "none"], false),
            (["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"], false),
            (["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "false"], true),
        ] as [([String: String], Bool)]
    )
    func requested(_ environment: [String: String], on: Bool) {
        #expect(TraceExport.isRequested(environment) == on)
    }

    @Test func offWithoutTheVariablesAndNoBootstrap() throws {
        // Off returns before touching InstrumentationSystem (which takes one bootstrap per process).
        let logger = Logger(label: "test")
        #expect(try TraceExport.bootstrap(serviceName: "hookway-serve", environment: [:], logger: logger) == nil)
    }

    @Test func grpcIsRefusedAtStart() {
        let logger = Logger(label: "test")
        #expect(throws: TraceExport.StartError.self) {
            try TraceExport.bootstrap(
                serviceName: "hookway-serve",
                environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"],
                logger: logger
            )
        }
    }
}
