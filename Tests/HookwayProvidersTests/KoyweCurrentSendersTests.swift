import Crypto
import HookwayCore
import HookwayTesting
import Testing

@testable import HookwayProviders

/// Koywe's current API: `Koywe-Signature: sha256=<hex>` and the order lifecycle events.
@Suite struct KoyweCurrentSendersTests {
    let adapter = KoyweAdapter()
    let source = SourceConfig(name: "koywe", provider: "koywe", secrets: [secret("koywe_test_secret")])

    func request(_ body: String, signature: String) -> WebhookRequest {
        WebhookRequest(target: "/webhooks/koywe", headers: [("Koywe-Signature", signature)], body: utf8(body), receivedAt: at(seconds: 1_700_000_000))
    }

    func handle(_ body: String, prefix: String = "sha256=") -> Event? {
        event { () throws(WebhookError) in
            try adapter.handle(request(body, signature: prefix + Sign.hmacHex(SHA256.self, key: "koywe_test_secret", body)), source: source)
        }
    }

    @Test(arguments: ["", "sha256="])
    func headerSignatureWithOrWithoutPrefix(_ prefix: String) {
        let body = #"{"id":"evt_1","type":"order.paid","data":{"orderId":"o-1","amount":"150000","currency":"CLP"}}"#
        let e = handle(body, prefix: prefix)
        #expect(e?.type == "koywe.order.paid")
        #expect(e?.subject == "o-1")
        #expect(e?.data.status == "paid")
        #expect(e?.data.amount == "150000")
        #expect(e?.data.currency == "CLP")
    }

    @Test func aWrongPrefixedSignatureIsInvalid() {
        let body = #"{"id":"evt_1","type":"order.paid","data":{"orderId":"o-1"}}"#
        let code = errorCode { () throws(WebhookError) in
            try adapter.handle(request(body, signature: "sha256=" + Sign.hmacHex(SHA256.self, key: "other", body)), source: source)
        }
        #expect(code == .invalidSignature)
    }

    @Test(arguments: ["order.canceled", "order.cancelled", "ORDER.CANCELED"])
    func bothCancelSpellingsBecomeOne(_ type: String) {
        let e = handle(#"{"id":"evt_9","type":"\#(type)","data":{"orderId":"o-2","status":"canceled"}}"#)
        #expect(e?.type == "koywe.order.cancelled")
        #expect(e?.data.status == "cancelled")
        #expect(e?.data.entity == EntityRef(kind: "order", id: "o-2"))
    }

    @Test func theLifecycleGivesTheStatusWhenDataHasNone() {
        #expect(handle(#"{"id":"evt_3","type":"order.refunded","data":{"orderId":"o-3"}}"#)?.data.status == "refunded")
        #expect(KoyweAdapter.catalog.filter { $0.name.hasPrefix("order.") }.count == 10)
    }
}
