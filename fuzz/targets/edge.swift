// libFuzzer target: the parsers a request meets before (or instead of) authentication, added
// for issue 15 — the PROXY protocol header, X-Forwarded-For, a Standard Webhooks signature
// list — and the output escapes applied to what they carry.
//
// Input layout: byte 0 selects the mode, the rest is the input.
//   0 PROXY header (v1/v2)  1 X-Forwarded-For values ('\n'-separated)  2 webhook-signature
//   3 LogSafe/TerminalSafe over arbitrary bytes
//
// Invariants: no crash; a PROXY header's length is within the input and the v1/v2 bounds;
// the client address X-Forwarded-For yields is never a trusted proxy and appears in the input;
// a signature list of more than 8 entries is refused with 401 invalid_signature and any list
// costs one HMAC per secret (the refusal never depends on the entries' content beyond that);
// escaped text has no control byte but tab and newline (terminal) or none at all (log).
import HookwayCore
import HookwayProviders

let trusted = [CIDRBlock("10.0.0.0/8")!, CIDRBlock("fd00::/8")!, CIDRBlock("127.0.0.1")!]
let acme = SourceConfig(
    name: "acme", provider: "standardwebhooks",
    secrets: [Secret(reference: "env:ACME", bytes: Array(("whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").utf8))])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEdge(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let mode = data[0] % 4
    let input = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch mode {
    case 0:
        switch ProxyProtocolHeader.parse(input) {
        case .header(_, let length):
            precondition(length > 0 && length <= input.count, "header length \(length) outside the input")
            precondition(length <= 16 + ProxyProtocolHeader.maxV2PayloadLength, "header longer than the bound")
        case .needMoreData:
            precondition(input.count < 16 + ProxyProtocolHeader.maxV2PayloadLength, "asked for more past the bound")
        case .invalid:
            break
        }
    case 1:
        let text = String(decoding: input, as: UTF8.self)
        let values = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let client = ForwardedFor.clientAddress(headerValues: values, trusted: trusted) {
            precondition(!trusted.contains { $0.contains(client) }, "a trusted proxy was returned as the client")
        }
    case 2:
        let header = String(decoding: input, as: UTF8.self)
        let request = WebhookRequest(
            target: "/webhooks/acme",
            headers: [("webhook-id", "msg_1"), ("webhook-timestamp", "1714557600"), ("webhook-signature", header)],
            body: Array(#"{"type":"invoice.paid"}"#.utf8), receivedAt: Timestamp(millisecondsSinceEpoch: 1_714_557_600_000))
        do {
            _ = try WebhookIntake().process(request, source: acme)
        } catch {
            precondition(error.status == 401 || error.status == 400, "unexpected \(error.status)")
            let entries = header.split(separator: " ").count
            if entries > 8 { precondition(error.code == .invalidSignature, "more than 8 entries not refused as invalid_signature") }
        }
    default:
        let text = String(decoding: input, as: UTF8.self)
        let terminal = TerminalSafe.text(text)
        precondition(!terminal.utf8.contains { $0 < 0x20 && $0 != 0x09 && $0 != 0x0A } && !terminal.utf8.contains(0x7F), "a control byte reached the terminal")
        let log = LogSafe.text(text, limit: 64)
        precondition(!log.utf8.contains { $0 < 0x20 || $0 == 0x7F }, "a control byte reached the log")
        let json = TerminalSafe.json(input)
        precondition(!json.utf8.contains { $0 < 0x20 && $0 != 0x09 && $0 != 0x0A }, "a control byte in terminal JSON")
    }
    return 0
}
