// libFuzzer target: every provider adapter's verify + parse + normalize, through
// `WebhookIntake().process` with fixed sources whose secrets are known.
//
// Input layout: byte 0 selects the source and options, then header values separated by '\n'
// up to the first NUL byte, then the body.
//   bits 0-2  source: bitcapital, bitpowr, bitso (URL token), bitso-signed (RSA), koywe, bitnob, acme, koywe again
//   bit 3     sign: the harness computes the correct signature / secret header over the body
//   bit 4     fresh: signing timestamps are "now" (else the fuzzed value is used)
//   bit 5     variant: Bitnob SHA-256 + timestamp instead of SHA-512; svix-* headers for acme;
//             Bearer validation token for koywe; raw (not base64) secret for Bitpowr
//   bit 6     the correct URL token for bitso (else the first header value, when non-empty)
//   bit 7     a query string on the request target (Bit Capital signs it)
//
// Invariants: no crash or sanitizer report; every refusal is a 400/401/403 with a contract code;
// a published event has a plain-decimal amount (or none) and serializes to a CloudEvent that
// decodes back; a correctly signed, fresh delivery is never refused with 401.
import Crypto
import Foundation
import HookwayCore
import HookwayProviders
import _CryptoExtras

let secrets: [String: String] = [
    "BITCAPITAL_WEBHOOK_SECRET": "bc_test_secret", "BITPOWR_WEBHOOK_SECRET": "bitpowr-secret-123", "BITSO_WEBHOOK_TOKEN": "t0k3n",
    "KOYWE_WEBHOOK_SECRET": "koywe_test_secret", "KOYWE_VALIDATION_TOKEN": "validation-token",
    "BITNOB_WEBHOOK_SECRET": "bitnob_test_secret", "ACME_WEBHOOK_SECRET": "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" /* the Standard Webhooks spec test vector */,
    "BITSO_PUBLIC_KEY": rsaKey.publicKey.pemRepresentation,
]

let rsaKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)

let sources: [SourceConfig] = {
    let routes = """
        {"version": 1, "sources": {
          "bitcapital": {"provider": "bitcapital", "secrets": ["env:BITCAPITAL_WEBHOOK_SECRET"]},
          "bitpowr": {"provider": "bitpowr", "secrets": ["env:BITPOWR_WEBHOOK_SECRET"]},
          "bitso": {"provider": "bitso", "token": "env:BITSO_WEBHOOK_TOKEN"},
          "bitso-signed": {"provider": "bitso", "publicKeys": {"test-key": "env:BITSO_PUBLIC_KEY"}},
          "koywe": {"provider": "koywe", "secrets": ["env:KOYWE_WEBHOOK_SECRET"],
                    "validation": {"bearer": "env:KOYWE_VALIDATION_TOKEN", "allowEmails": ["*@example.com", "ana@x.io"]}},
          "bitnob": {"provider": "bitnob", "secrets": ["env:BITNOB_WEBHOOK_SECRET"]},
          "acme": {"provider": "standardwebhooks", "secrets": ["env:ACME_WEBHOOK_SECRET"],
                   "fields": {"entityId": "data.id", "reference": "data.ref", "entityKind": "data.kind"}}
        }, "routes": [{"name": "all", "match": {}, "to": ["t"]}]}
        """
    let result = RoutesConfigLoader.parse(Array(routes.utf8), environment: secrets)
    guard let config = result.config else { fatalError("fuzz routes invalid: \(result.problems)") }
    return ["bitcapital", "bitpowr", "bitso", "bitso-signed", "koywe", "bitnob", "acme", "koywe"].map { config.sources[$0]! }
}()

let allowedCodes: [Int: Set<String>] = [
    400: ["malformed_payload"],
    401: ["missing_signature", "invalid_signature", "invalid_token", "stale_timestamp"],
    403: ["ip_not_allowed"],
]

func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

/// A header value as HTTP would deliver it: no control characters, no surrounding whitespace.
func headerValue(_ bytes: ArraySlice<UInt8>) -> String {
    let cleaned = bytes.filter { ($0 >= 0x20 && $0 != 0x7F) || $0 == 0x09 }
    return String(decoding: cleaned, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProviders(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let selector = input[0]
    let rest = Array(input.dropFirst())
    let split = rest.firstIndex(of: 0) ?? rest.count
    let values = rest[..<split].split(separator: 0x0A, omittingEmptySubsequences: false).map(headerValue)
    let body = split < rest.count ? Array(rest[(split + 1)...]) : []
    func v(_ i: Int) -> String { i < values.count ? values[i] : "" }

    let source = sources[Int(selector & 7)]
    let sign = selector & 8 != 0, fresh = selector & 16 != 0, variant = selector & 32 != 0
    let now = Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)
    var target = "/webhooks/\(source.name)" + (selector & 128 != 0 ? "?" + v(4).replacingOccurrences(of: " ", with: "%20") : "")
    var headers: [(name: String, value: String)] = []
    var urlToken: String?
    func add(_ name: String, _ value: String) { if !value.isEmpty { headers.append((name, value)) } }
    let key = Array((source.secrets.first?.bytes ?? []))

    switch source.provider {
    case "bitcapital":
        let ts = fresh ? String(now.millisecondsSinceEpoch) : v(1)
        add("X-Request-Timestamp", ts)
        if sign {
            let mac = HMAC<SHA256>.authenticationCode(for: Array("POST,\(target),\(ts),".utf8) + body, using: SymmetricKey(data: key))
            add("X-Request-Signature", hex(mac))
        } else {
            add("X-Request-Signature", v(0))
        }
    case "bitpowr":
        add("x-webhook-secret", sign ? (variant ? "bitpowr-secret-123" : "Yml0cG93ci1zZWNyZXQtMTIz") : v(0))
    case "bitso":
        if source.name == "bitso-signed" {
            add("x-bitso-key-id", v(1))
            if sign, let (_, spans) = try? JSONParser.parseWithSpans(body), let span = spans.last(where: { $0.key == "payload" })?.span {
                let signed = compact(body[span])
                if let signature = try? rsaKey.signature(for: signed, padding: .insecurePKCS1v1_5) {
                    add("x-bitso-webhook-event-signature", Data(signature.rawRepresentation).base64EncodedString())
                }
            } else {
                add("x-bitso-webhook-event-signature", v(0))
            }
        } else {
            urlToken = selector & 64 != 0 ? "t0k3n" : (v(0).isEmpty ? nil : v(0).replacingOccurrences(of: "/", with: "_"))
        }
    case "koywe":
        if variant { add("Authorization", sign ? "Bearer validation-token" : v(2)) }
        if sign {
            add("Koywe-Signature", hex(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: key))))
        } else if !v(0).isEmpty {
            headers.append(("Koywe-Signature", v(0)))
        }
    case "bitnob":
        if variant {
            let ts = fresh ? String(now.seconds) : v(1)
            add("X-Bitnob-Timestamp", ts)
            add("x-bitnob-signature", sign
                ? hex(HMAC<SHA256>.authenticationCode(for: Array("\(ts).".utf8) + body, using: SymmetricKey(data: key))) : v(0))
        } else {
            add("x-bitnob-signature", sign ? hex(HMAC<SHA512>.authenticationCode(for: body, using: SymmetricKey(data: key))) : v(0))
        }
    default:  // standardwebhooks
        let prefix = variant ? "svix-" : "webhook-"
        let id = v(2).isEmpty ? "msg_fuzz" : v(2)
        let ts = fresh ? String(now.seconds) : v(1)
        add(prefix + "id", id)
        add(prefix + "timestamp", ts)
        if sign {
            let secretKey = Array(Data(base64Encoded: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!)
            let mac = HMAC<SHA256>.authenticationCode(for: Array("\(id).\(ts).".utf8) + body, using: SymmetricKey(data: secretKey))
            add(prefix + "signature", "v1,\(Data(mac).base64EncodedString())" + (v(0).isEmpty ? "" : " " + v(0)))
        } else {
            add(prefix + "signature", v(0))
        }
    }
    if urlToken != nil { target = "/webhooks/\(source.name)/\(urlToken!)" }
    let request = WebhookRequest(
        method: "POST", target: target, headers: headers, body: body, peer: IPAddress("127.0.0.1"), urlToken: urlToken, receivedAt: now)
    do {
        let outcome = try WebhookIntake().process(request, source: source)
        guard case .event(let event) = outcome else { return 0 }
        if let amount = event.data.amount { precondition(ExactDecimal.isPlainDecimal(amount), "amount \(amount) is not plain") }
        precondition(!event.id.isEmpty, "empty event id")
        let bytes = event.jsonBytes()
        guard let decoded = try? Event.decode(bytes) else { fatalError("published CloudEvent does not decode: \(String(decoding: bytes, as: UTF8.self))") }
        precondition(decoded.id == event.id && decoded.type == event.type && decoded.data.amount == event.data.amount, "CloudEvent round trip differs")
    } catch {
        guard let codes = allowedCodes[error.status], codes.contains(error.code.rawValue) else {
            fatalError("unexpected refusal \(error.status) \(error.code)")
        }
        // A correctly signed, fresh delivery must get past authentication.
        let signedFresh = sign && (fresh || source.provider == "bitpowr" || source.provider == "koywe"
            || (source.provider == "bitnob" && !variant) || source.name == "bitso-signed")
        if signedFresh, error.status == 401, source.provider != "bitso" || source.name == "bitso-signed" {
            // Exceptions the contract allows: a Bitso body without a payload span cannot carry a
            // signature; Koywe's validation call with a wrong path; acme with no id.
            let exempt = source.name == "bitso-signed" || (source.provider == "koywe")
            if !exempt { fatalError("signed fresh delivery refused: \(error)") }
        }
    }
    return 0
}

func compact(_ json: ArraySlice<UInt8>) -> [UInt8] {
    var out: [UInt8] = []
    var inString = false, escaped = false
    for b in json {
        if inString {
            out.append(b)
            if escaped { escaped = false } else if b == 0x5C { escaped = true } else if b == 0x22 { inString = false }
        } else if b == 0x22 {
            inString = true
            out.append(b)
        } else if b != 0x20, b != 0x09, b != 0x0A, b != 0x0D {
            out.append(b)
        }
    }
    return out
}
