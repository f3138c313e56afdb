import Crypto
import HookwayCore
import HookwayTesting
import Testing

@testable import HookwayProviders

@Suite struct KoyweAdapterTests {
    let adapter = KoyweAdapter()
    let source = SourceConfig(name: "koywe", provider: "koywe", secrets: [secret("koywe_test_secret")])
    static let example =
        #"{"eventName":"crypto_delivered","orderId":"5a3288ea-0bd4-44d2-af11-aae1f88bbd61","timeStamp":"2022-10-26T22:36:41.658Z","signature":"78f231597d6fed5fdc35ab8d9f137e461a9765febb42fb7ab1c9322cf82b48c2"}"#
    static let headerBody =
        #"{"eventName":"payment_received","orderId":"5a3288ea-0bd4-44d2-af11-aae1f88bbd61","timeStamp":"2022-10-26T22:31:05.112Z"}"#
    static let headerSignature = "dc4c7c50d54812f1a247ae917781cdda2de825114134de28b6b3f8cfa2180c19"

    func request(_ body: String, headers: [(name: String, value: String)] = [], token: String? = nil) -> WebhookRequest {
        WebhookRequest(target: "/webhooks/koywe", headers: headers, body: utf8(body), urlToken: token, receivedAt: at(seconds: 1_700_000_000))
    }

    func handle(_ req: WebhookRequest, _ src: SourceConfig? = nil) -> Event? {
        event { () throws(WebhookError) in try adapter.handle(req, source: src ?? source) }
    }

    func code(_ req: WebhookRequest, _ src: SourceConfig? = nil) -> WebhookError.Code? {
        errorCode { () throws(WebhookError) in try adapter.handle(req, source: src ?? source) }
    }

    @Test func vectorsMatch() {
        let signed = #"{"eventName":"crypto_delivered","orderId":"5a3288ea-0bd4-44d2-af11-aae1f88bbd61","timeStamp":"2022-10-26T22:36:41.658Z"}"#
        #expect(Sign.hmacHex(SHA256.self, key: "koywe_test_secret", signed) == "78f231597d6fed5fdc35ab8d9f137e461a9765febb42fb7ab1c9322cf82b48c2")
        #expect(KoyweSignedFields.signedBytes(of: try! JSONParser.parse(utf8(Self.example))) == utf8(signed))
        #expect(Sign.hmacHex(SHA256.self, key: "koywe_test_secret", Self.headerBody) == Self.headerSignature)
        #expect(
            EventID.fallback(source: "koywe", body: utf8(#"{"eventName":"crypto_delivered"}"#))
                == "650579ca8ac433a92d9eaff67cd2ef35af222f0e1acf86a8113c807b486f8c67"
        )
    }

    @Test func bodySignedExampleNormalizes() throws {
        let e = try #require(handle(request(Self.example)))
        #expect(e.id == "koywe:5a3288ea-0bd4-44d2-af11-aae1f88bbd61:crypto.delivered")
        #expect(e.type == "koywe.crypto.delivered")
        #expect(e.subject == "5a3288ea-0bd4-44d2-af11-aae1f88bbd61")
        #expect(e.data.entity?.kind == "order")
        #expect(e.data.status == "delivered")
        #expect(e.time == "2022-10-26T22:36:41.658Z")
        #expect(e.data.amount == nil && e.data.currency == nil && e.data.reference == nil)
        #expect(e.authMethod == .signature)
    }

    @Test func spacesAndKeyOrderInTheBodyStillVerify() {
        let body = """
            { "signature": "78F231597D6FED5FDC35AB8D9F137E461A9765FEBB42FB7AB1C9322CF82B48C2",
              "timeStamp": "2022-10-26T22:36:41.658Z", "orderId" : "5a3288ea-0bd4-44d2-af11-aae1f88bbd61",
              "eventName":"crypto_delivered" }
            """
        #expect(handle(request(body))?.id == "koywe:5a3288ea-0bd4-44d2-af11-aae1f88bbd61:crypto.delivered")
    }

    @Test func headerVariantVerifiesRawBody() throws {
        let e = try #require(handle(request(Self.headerBody, headers: [("Koywe-Signature", Self.headerSignature)])))
        #expect(e.id == "koywe:5a3288ea-0bd4-44d2-af11-aae1f88bbd61:payment.received")
        #expect(e.data.status == "pending")
        #expect(e.time == "2022-10-26T22:31:05.112Z")
        // Re-serialized with spaces, the raw-body signature no longer matches.
        let spaced = Self.headerBody.replacingOccurrences(of: ",", with: ", ")
        #expect(code(request(spaced, headers: [("koywe-signature", Self.headerSignature)])) == .invalidSignature)
    }

    @Test func headerAloneDecides() {
        // A valid body signature does not rescue a wrong header.
        #expect(code(request(Self.example, headers: [("Koywe-Signature", String(repeating: "0", count: 64))])) == .invalidSignature)
        #expect(code(request(Self.example, headers: [("Koywe-Signature", "")])) == .invalidSignature)
    }

    @Test func fallbackVectorThroughTheHeaderVariant() {
        let body = #"{"eventName":"crypto_delivered"}"#
        let sig = Sign.hmacHex(SHA256.self, key: "koywe_test_secret", body)
        let e = handle(request(body, headers: [("Koywe-Signature", sig)]))
        #expect(e?.id == "650579ca8ac433a92d9eaff67cd2ef35af222f0e1acf86a8113c807b486f8c67")
        #expect(e?.subject == nil)
    }

    @Test func codes() {
        let unsigned = #"{"eventName":"crypto_delivered","orderId":"o","timeStamp":"2022-10-26T22:36:41.658Z"}"#
        #expect(code(request(unsigned)) == .missingSignature)
        #expect(code(request("not json")) == .malformedPayload)
        #expect(code(request(Self.example.replacingOccurrences(of: "crypto_delivered", with: "fiat_delivered"))) == .invalidSignature)
        #expect(
            code(
                request(
                    #"{"eventName":"crypto_delivered","orderId":"o","signature":"78f231597d6fed5fdc35ab8d9f137e461a9765febb42fb7ab1c9322cf82b48c2"}"#
                )
            ) == .invalidSignature
        )
        #expect(code(request(#"{"eventName":"x","orderId":"o","timeStamp":"t","signature":"xyz"}"#)) == .invalidSignature)
        #expect(code(request(#"{"eventName":"x","orderId":"o","timeStamp":"t","signature":7}"#)) == .invalidSignature)
    }

    @Test func jsStyleEscapingInTheRebuild() {
        let order = "a/b\"c\\d\u{1}\n\u{e9}\u{1F600}"
        let fields = JSONValue.object([
            JSONMember("eventName", .string("fiat_sent")), JSONMember("orderId", .string(order)),
            JSONMember("timeStamp", .string("2024-01-01T00:00:00Z")),
        ])
        let expected = #"{"eventName":"fiat_sent","orderId":"a/b\"c\\d\u0001\n"# + "\u{e9}\u{1F600}" + #"","timeStamp":"2024-01-01T00:00:00Z"}"#
        #expect(KoyweSignedFields.signedBytes(of: fields) == utf8(expected))
        // Sent escaped differently (\/ and \u00e9), it still verifies: values are rebuilt.
        let sig = Sign.hmacHex(SHA256.self, key: "koywe_test_secret", expected)
        let body =
            #"{"eventName":"fiat_sent","orderId":"a\/b\"c\\d\u0001\n\u00e9\ud83d\ude00","timeStamp":"2024-01-01T00:00:00Z","signature":"\#(sig)"}"#
        let e = handle(request(body))
        #expect(e?.data.entity?.id == order)
        #expect(e?.data.status == "in_progress")
    }

    @Test func secondSecretVerifies() {
        let rotating = SourceConfig(name: "koywe", provider: "koywe", secrets: [secret("old"), secret("koywe_test_secret")])
        #expect(handle(request(Self.example), rotating) != nil)
        #expect(handle(request(Self.headerBody, headers: [("Koywe-Signature", Self.headerSignature)]), rotating) != nil)
    }

    @Test func toleranceOnlyWhenConfigured() {
        var strict = source
        strict.toleranceSeconds = 300
        #expect(code(request(Self.example), strict) == .staleTimestamp)
        var fresh = request(Self.example)
        fresh.receivedAt = RFC3339.parse("2022-10-26T22:38:00Z")!
        #expect(code(fresh, strict) == nil)
        #expect(code(request(Self.example)) == nil)
    }

    @Test(
        arguments: [
            ("PAYMENT_CREATED", "payment.created", "waiting"), ("paymentCreated", "payment.created", "waiting"),
            ("payment-expired", "payment.expired", "rejected"), ("crypto_tx_failed", "crypto.tx.failed", nil),
            ("fiat_sent", "fiat.sent", "in_progress"), ("refund_issued", "refund.issued", nil),
        ] as [(String, String, String?)]
    )
    func eventNaming(_ raw: String, event name: String, status: String?) {
        let body = #"{"eventName":"\#(raw)","orderId":"o-1","timeStamp":"2022-10-26T22:31:05.112Z"}"#
        let e = handle(request(body, headers: [("Koywe-Signature", Sign.hmacHex(SHA256.self, key: "koywe_test_secret", body))]))
        #expect(e?.data.event == name)
        #expect(e?.data.status == status)
        #expect(e?.id == "koywe:o-1:\(name)")
    }

    @Test func newerIdTypeDataShape() throws {
        let body = #"{"id":"evt_123","type":"Order.Completed","data":{"orderId":"o-9","status":"COMPLETED"}}"#
        let e = try #require(handle(request(body, headers: [("Koywe-Signature", Sign.hmacHex(SHA256.self, key: "koywe_test_secret", body))])))
        #expect(e.id == "koywe:evt_123")
        #expect(e.data.event == "order.completed")
        #expect(e.data.entity == EntityRef(kind: "order", id: "o-9"))
        #expect(e.data.status == "completed")
    }

    // MARK: Validation callback

    var validating: SourceConfig {
        var s = source
        s.options = KoyweOptions(validation: ValidationCallbackConfig(bearer: secret("superJWT"), allowEmails: ["ana@example.com", "*@trusted.io"]))
        return s
    }

    func reply(_ req: WebhookRequest, _ src: SourceConfig) -> String? {
        guard case .reply(let status, let type, let body)? = try? adapter.handle(req, source: src), status == 200, type == "application/json" else {
            return nil
        }
        return String(decoding: body, as: UTF8.self)
    }

    @Test func validationCallbackAnswers() {
        let auth = [("Authorization", "Bearer superJWT")]
        #expect(reply(request(#"{"email":" Ana@Example.com "}"#, headers: auth), validating) == "true")
        #expect(reply(request(#"{"email":"bob@trusted.io"}"#, headers: auth), validating) == "true")
        #expect(reply(request(#"{"email":"bob@untrusted.io"}"#, headers: [("authorization", "bearer superJWT")]), validating) == "false")
        #expect(reply(request(#"{"email":"@trusted.io"}"#, headers: auth), validating) == "false")
    }

    @Test func validationCallbackAuth() {
        #expect(code(request(#"{"email":"ana@example.com"}"#), validating) == .invalidToken)
        #expect(code(request(#"{"email":"ana@example.com"}"#, headers: [("Authorization", "Bearer nope")]), validating) == .invalidToken)
        #expect(code(request(#"{"email":"ana@example.com"}"#, headers: [("Authorization", "Basic superJWT")]), validating) == .invalidToken)
        var withToken = validating
        withToken.token = secret("url-tok")
        #expect(reply(request(#"{"email":"ana@example.com"}"#, token: "url-tok"), withToken) == "true")
        #expect(code(request(#"{"email":"ana@example.com"}"#, headers: [("Authorization", "Bearer superJWT")])) == .missingSignature)
    }

    @Test(arguments: KoyweAdapter.catalog)
    func catalogSampleRoundTrip(_ entry: CatalogEvent) {
        checkSampleRoundTrip(adapter, entry, source: source)
    }
}
