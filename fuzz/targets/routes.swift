// libFuzzer target: the routes loader (RoutesConfigLoader.parse) and, for a file that
// validates, the compiled route table on a fixed event.
import HookwayCore

let environment: [String: String] = [
    "BITNOB_WEBHOOK_SECRET": "bitnob_test_secret", "BITSO_WEBHOOK_TOKEN": "t0k3n", "EMPTY": "",
    "ACME_WEBHOOK_SECRET": "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" /* the Standard Webhooks spec test vector */, "KOYWE_VALIDATION_TOKEN": "validation-token",
]

let sampleEvent = Event(
    id: "e1", data: EventData(
        provider: "bitnob", source: "bitnob", event: "payout.transfer.success", entity: EntityRef(kind: "payout", id: "p1"),
        status: "success", amount: "35.81", payload: .object([])),
    authMethod: .signature, receivedAt: Timestamp(millisecondsSinceEpoch: 1_700_000_000_000))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRoutes(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // file: references resolve under a directory that does not exist.
    let result = RoutesConfigLoader.parse(bytes, baseDirectory: "/nonexistent-hookway-fuzz", environment: environment)
    if let config = result.config {
        precondition(result.errors.isEmpty, "a config with errors")
        let table = config.routeTable
        let topics = table.topics(for: sampleEvent)
        precondition(!topics.isEmpty, "an event went nowhere")
        _ = config.summary
    } else {
        precondition(!result.errors.isEmpty, "no config and no error")
    }
    return 0
}
