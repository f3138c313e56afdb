import Crypto
import Foundation
import HookwayCore
import HookwayTesting
import Testing

@testable import HookwayProviders

@Suite struct StandardWebhooksAdapterTests {
    let adapter = StandardWebhooksAdapter()
    static let secretText = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    let source = SourceConfig(name: "billing", provider: "standardwebhooks", secrets: [secret(secretText)])
    static let invoice = #"{"type":"invoice.paid","timestamp":"2024-05-01T10:00:00Z","data":{"id":"inv_1","amount":"25.00","currency":"USD"}}"#

    static func sign(id: String, ts: String, body: String, secret: String = secretText) -> String {
        String(Sign.standardWebhooks(id: id, timestamp: ts, body: utf8(body), secret: secret).dropFirst(3))
    }

    func request(
        _ body: String,
        id: String? = "msg_1",
        ts: String? = "1714557600",
        signature: String? = nil,
        prefix: String = "webhook-",
        now: Int64 = 1_714_557_600
    ) -> WebhookRequest {
        var headers: [(name: String, value: String)] = []
        if let id { headers.append((prefix + "id", id)) }
        if let ts { headers.append((prefix + "timestamp", ts)) }
        let sig = signature ?? "v1," + Self.sign(id: id ?? "", ts: ts ?? "", body: body)
        headers.append((prefix + "signature", sig))
        return WebhookRequest(target: "/webhooks/billing", headers: headers, body: utf8(body), receivedAt: at(seconds: now))
    }

    func handle(_ req: WebhookRequest, _ src: SourceConfig? = nil) -> Event? {
        event { () throws(WebhookError) in try adapter.handle(req, source: src ?? source) }
    }

    func code(_ req: WebhookRequest, _ src: SourceConfig? = nil) -> WebhookError.Code? {
        errorCode { () throws(WebhookError) in try adapter.handle(req, source: src ?? source) }
    }

    @Test func specVector() throws {
        let body = #"{"test": 2432232314}"#
        let sig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        #expect("v1," + Self.sign(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", ts: "1614265330", body: body) == sig)
        // The body has no `type`: verified, then 400 for the missing event field.
        let req = request(body, id: "msg_p5jXN8AQM9LWM0D4loKWxJek", ts: "1614265330", signature: sig, now: 1_614_265_330)
        #expect(code(req) == .malformedPayload)
        var custom = source
        custom.options = StandardWebhooksOptions(eventField: "test")
        #expect(code(req, custom) == .malformedPayload)  // a number is not an event name
        let typed = #"{"type":"test.event","test": 2432232314}"#
        #expect(
            handle(request(typed, id: "msg_p5jXN8AQM9LWM0D4loKWxJek", ts: "1614265330", now: 1_614_265_330))?.id == "msg_p5jXN8AQM9LWM0D4loKWxJek"
        )
    }

    @Test func invoiceNormalizes() throws {
        let e = try #require(handle(request(Self.invoice)))
        #expect(e.id == "msg_1")
        #expect(e.type == "standardwebhooks.invoice.paid")
        #expect(e.source == "/webhooks/billing")
        #expect(e.subject == "inv_1")
        #expect(e.data.entity == EntityRef(kind: "invoice", id: "inv_1"))
        #expect(e.data.amount == "25.00")
        #expect(e.data.currency == "USD")
        #expect(e.data.status == nil && e.data.reference == nil)
        #expect(e.time == "2024-05-01T10:00:00Z")
        #expect(e.authMethod == .signature)
    }

    @Test func svixHeadersAndMultipleEntries() {
        let sig = Self.sign(id: "msg_1", ts: "1714557600", body: Self.invoice)
        let list = "v2,AAAA v1,bm90IGl0 v1a,\(sig) v1,\(sig)"
        #expect(handle(request(Self.invoice, signature: list, prefix: "svix-")) != nil)
        #expect(code(request(Self.invoice, signature: "v2,\(sig)")) == .invalidSignature)
        #expect(code(request(Self.invoice, signature: "v1,%%%")) == .invalidSignature)
    }

    @Test func codes() {
        #expect(code(request(Self.invoice, id: nil)) == .missingSignature)
        #expect(code(request(Self.invoice, ts: nil)) == .missingSignature)
        let bare = WebhookRequest(target: "/", headers: [("webhook-id", "m"), ("webhook-timestamp", "1")], body: [], receivedAt: at(seconds: 1))
        #expect(code(bare) == .missingSignature)
        #expect(code(request(Self.invoice, ts: "12:00")) == .invalidSignature)
        #expect(code(request(Self.invoice, now: 1_714_557_901)) == .staleTimestamp)
        #expect(code(request(Self.invoice, now: 1_714_557_299)) == .staleTimestamp)
        #expect(code(request(Self.invoice, now: 1_714_557_900)) == nil)
        // Issue #28 item 12: seconds only, as the spec and the reference library say; a
        // millisecond value (correctly signed) is a time far in the future, not "now".
        #expect(code(request(Self.invoice, ts: "1714557600000", now: 1_714_557_600)) == .staleTimestamp)
        #expect(code(request(Self.invoice, ts: "9999999999999999")) == .invalidSignature, "16 digits of seconds: no overflow trap")
        var lenient = source
        lenient.toleranceSeconds = 3600
        #expect(code(request(Self.invoice, now: 1_714_557_901), lenient) == nil)
    }

    @Test func secondSecretVerifiesAndPrefixIsOptional() {
        let rotating = SourceConfig(
            name: "billing",
            provider: "standardwebhooks",
            secrets: [secret("whsec_b3RoZXI="), secret(String(Self.secretText.dropFirst(6)))]
        )
        #expect(handle(request(Self.invoice), rotating) != nil)
    }

    @Test func signatureIsOverRawBytes() {
        let spaced = "{ \"data\": {\"currency\":\"USD\", \"id\": \"inv_1\"},\n\t\"type\": \"Invoice.Paid\" }"
        #expect(handle(request(spaced))?.data.event == "invoice.paid")
        let sig = "v1," + Self.sign(id: "msg_1", ts: "1714557600", body: spaced)
        #expect(code(request(#"{"data":{"currency":"USD","id":"inv_1"},"type":"Invoice.Paid"}"#, signature: sig)) == .invalidSignature)
    }

    @Test func configuredFields() throws {
        var custom = source
        custom.options = StandardWebhooksOptions(
            eventField: "event.name",
            fields: [
                "entityId": "object.ref", "entityKind": "object.kind", "status": "object.state", "amount": "object.value",
                "currency": "object.ccy", "reference": "object.trace", "time": "sentAt",
            ]
        )
        let body =
            #"{"event":{"name":"Charge.Settled"},"sentAt":1714557600123,"object":{"ref":42,"kind":"Charge","state":"SETTLED","value":1.5e3,"ccy":"EUR","trace":"T-1"}}"#
        let e = try #require(handle(request(body), custom))
        #expect(e.data.event == "charge.settled")
        #expect(e.data.entity == EntityRef(kind: "charge", id: "42"))
        #expect(e.data.status == "settled")
        #expect(e.data.amount == "1500")
        #expect(e.data.currency == "EUR")
        #expect(e.data.reference == "T-1")
        #expect(e.time == "2024-05-01T10:00:00.123Z")
    }

    @Test func missingPathsAreOmittedAndBadTimeFallsBack() {
        let e = handle(request(#"{"type":"ping","timestamp":"yesterday"}"#))
        #expect(e?.data.entity == nil)
        #expect(e?.subject == nil)
        #expect(e?.time == e?.receivedAt)
    }

    @Test(arguments: [
        ("0.000123456789012345678", "0.000123456789012345678"), ("1.2E-7", "0.00000012"), ("1.5e3", "1500"), ("100.10", "100.10"),
    ])
    func amounts(_ literal: String, expected: String) {
        #expect(handle(request(#"{"type":"a.b","data":{"id":"x","amount":\#(literal)}}"#))?.data.amount == expected)
    }

    @Test func sampleHonoursCustomPaths() {
        var custom = source
        custom.options = StandardWebhooksOptions(eventField: "event.name", fields: ["entityId": "object.ref", "entityKind": "object.kind"])
        checkSampleRoundTrip(adapter, CatalogEvent(name: "charge.settled", entityKind: "charge"), source: custom)
    }

    @Test(arguments: StandardWebhooksAdapter.catalog)
    func catalogSampleRoundTrip(_ entry: CatalogEvent) {
        checkSampleRoundTrip(adapter, entry, source: source)
    }
}
