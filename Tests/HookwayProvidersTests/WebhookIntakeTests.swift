import Crypto
import HookwayCore
import HookwayRuntime
import HookwayTesting
import Testing

@testable import HookwayProviders

@Suite struct WebhookIntakeTests {
    let intake = WebhookIntake()
    static let body = #"{"event":"funding","payload":{"fid":"f1","status":"complete"}}"#

    func bitso(allowFrom: [String] = [], token: String? = nil) -> SourceConfig {
        SourceConfig(name: "bitso", provider: "bitso", token: token.map(secret), allowFrom: allowFrom.compactMap(CIDRBlock.init))
    }

    func request(peer: String?, token: String? = nil) -> WebhookRequest {
        WebhookRequest(
            target: "/webhooks/bitso",
            headers: [],
            body: utf8(Self.body),
            peer: peer.flatMap { IPAddress($0) },
            urlToken: token,
            receivedAt: at(seconds: 1_700_000_000)
        )
    }

    func outcome(_ req: WebhookRequest, _ src: SourceConfig) -> (Event?, WebhookError?) {
        do {
            guard case .event(let e) = try intake.process(req, source: src) else { return (nil, nil) }
            return (e, nil)
        } catch {
            return (nil, error)
        }
    }

    @Test(arguments: [
        ("10.1.2.3", true), ("11.0.0.1", false), ("2001:db8::1", true), ("2001:db9::1", false), ("::ffff:10.9.9.9", true),
        ("192.168.1.77", true), ("192.168.1.78", false), ("::1", false),
    ])
    func allowList(_ peer: String, allowed: Bool) {
        let src = bitso(allowFrom: ["10.0.0.0/8", "2001:db8::/32", "192.168.1.77"])
        let (e, error) = outcome(request(peer: peer), src)
        if allowed {
            #expect(e?.authMethod == .ip)
        } else {
            #expect(error?.status == 403)
            #expect(error?.code == .ipNotAllowed)
        }
    }

    @Test func unknownPeerWithAllowListIsRefused() {
        #expect(outcome(request(peer: nil), bitso(allowFrom: ["0.0.0.0/0"])).1?.code == .ipNotAllowed)
        #expect(outcome(request(peer: nil), bitso()).0?.authMethod == AuthMethod.none)
    }

    @Test func tokenRules() {
        let src = bitso(token: "t0k3n")
        #expect(outcome(request(peer: nil, token: "t0k3n"), src).0?.authMethod == .token)
        #expect(outcome(request(peer: nil, token: "wrong"), src).1?.code == .invalidToken)
        #expect(outcome(request(peer: nil, token: "t0k3n2"), src).1?.code == .invalidToken)
        #expect(outcome(request(peer: nil), src).1?.code == .invalidToken)
        #expect(outcome(request(peer: nil, token: "t0k3n"), bitso()).1?.code == .invalidToken)
        #expect(outcome(request(peer: nil, token: "t0k3n"), bitso()).1?.status == 401)
    }

    @Test func ipIsCheckedBeforeTheToken() {
        let src = bitso(allowFrom: ["10.0.0.0/8"], token: "t0k3n")
        #expect(outcome(request(peer: "11.0.0.1", token: "wrong"), src).1?.code == .ipNotAllowed)
        #expect(outcome(request(peer: "10.0.0.1", token: "wrong"), src).1?.code == .invalidToken)
        // Token and IP both verified: the token is the stronger proof.
        #expect(outcome(request(peer: "10.0.0.1", token: "t0k3n"), src).0?.authMethod == .token)
    }

    @Test func tokenIsCheckedBeforeTheSignature() {
        let src = SourceConfig(name: "bitnob", provider: "bitnob", secrets: [secret("s")], token: secret("tok"))
        let req = WebhookRequest(target: "/webhooks/bitnob/x", headers: [], body: [], urlToken: "x")
        #expect(outcome(req, src).1?.code == .invalidToken)
    }

    @Test func signatureWinsOverTokenAndIp() {
        let src = SourceConfig(
            name: "bitnob",
            provider: "bitnob",
            secrets: [secret("s")],
            token: secret("tok"),
            allowFrom: [CIDRBlock("10.0.0.0/8")!]
        )
        let body = #"{"event":"payout.transfer.success","data":{"id":"p"}}"#
        let sig = Sign.hmacHex(SHA512.self, key: "s", body)
        let req = WebhookRequest(
            target: "/webhooks/bitnob/tok",
            headers: [("X-Bitnob-Signature", sig)],
            body: utf8(body),
            peer: IPAddress("10.0.0.2"),
            urlToken: "tok"
        )
        #expect(outcome(req, src).0?.authMethod == .signature)
    }

    @Test func bitpowrHeaderIsTokenAuth() {
        let src = SourceConfig(name: "bp", provider: "bitpowr", secrets: [secret("k")], allowFrom: [CIDRBlock("10.0.0.0/8")!])
        let req = WebhookRequest(
            target: "/webhooks/bp",
            headers: [("x-webhook-secret", "aw==")],
            body: utf8(#"{"event":"a.b","data":{}}"#),
            peer: IPAddress("10.0.0.2")
        )
        #expect(outcome(req, src).0?.authMethod == .token)
    }

    @Test func registryCoversEveryProvider() {
        #expect(Set(ProviderRegistry.names).count == ProviderRegistry.all.count, "provider names are unique")
        for provider in ProviderRegistry.all {
            #expect(ProviderRegistry.adapter(named: provider.name) != nil)
            #expect(!type(of: provider.adapter).catalog.isEmpty, "\(provider.name) lists its events")
        }
        #expect(ProviderRegistry.adapter(named: "stripe") == nil)
        #expect(RoutesSchema.hookway.providerNames == ProviderRegistry.names)
    }

    @Test func headerLookupIsCaseInsensitiveFirstValueTrimmed() {
        let req = WebhookRequest(target: "/", headers: [("X-A", " one \t"), ("x-a", "two")], body: [])
        #expect(req.header("x-A") == "one")
        #expect(req.header("x-b") == nil)
    }
}
