import Crypto
import Foundation
import HookwayCore
import HookwayRuntime
import HookwayTesting
import NIOConcurrencyHelpers
import Testing

@testable import HookwayProviders

/// The API clients against the local stand-in, which verifies each provider's documented
/// authentication (scripts/standin/provider_api.py).
@Suite(.timeLimit(.minutes(2)))
struct ProviderAPIClientTests {
    /// A source of `provider` whose `api` points at the stand-in, loaded through routes.json.
    static func source(_ provider: String, standIn: ProviderAPIStandIn, extra: String = "", authentication: String) throws -> SourceConfig {
        let text = """
            {"version": 1, "sources": {"s": {"provider": "\(provider)", \(authentication), "api": \(standIn.apiJSON(provider, extra: extra))}}, "routes": []}
            """
        let result = RoutesConfigLoader.parse(Array(text.utf8), environment: standIn.environment.merging(["W": "whsec"]) { a, _ in a })
        guard let source = result.config?.sources["s"] else {
            throw ProviderAPIStandIn.StandInError(message: "routes: \(result.problems.map(\.description).joined(separator: "; "))")
        }
        return source
    }

    static func event(provider: String, kind: String, id: String, status: String? = nil, amount: String? = nil, currency: String? = nil) -> Event {
        Event(
            id: "\(provider):\(kind):\(id)",
            data: EventData(
                provider: provider,
                source: "s",
                event: "\(kind).\(status ?? "x")",
                entity: EntityRef(kind: kind, id: id),
                status: status,
                amount: amount,
                currency: currency,
                payload: .null
            ),
            authMethod: .signature,
            receivedAt: .now()
        )
    }

    static func withStandIn(_ body: (ProviderAPIStandIn) async throws -> Void) async throws {
        let standIn = try await ProviderAPIStandIn.start()
        try await withTeardown({ await standIn.stop() }) { try await body(standIn) }
    }

    @Test func bitsoFetchesAFundingSignedAndAnswers404AsNotFound() async throws {
        try await Self.withStandIn { standIn in
            try await standIn.seed(
                "bitso",
                kind: "funding",
                record: #"{"fid": "f1", "status": "complete", "currency": "mxn", "amount": "100.00", "created_at": "2026-12-01T10:00:00.000+00:00"}"#
            )
            let api = try #require(ProviderRegistry.api(for: try Self.source("bitso", standIn: standIn, authentication: #""token": "env:W""#)))
            try await withTeardown({ await api.shutdown() }) {
                let entity = try #require(try await api.fetch(Self.event(provider: "bitso", kind: "funding", id: "f1")))
                #expect(entity.status == "complete")
                #expect(entity.amount == "100.00")
                #expect(entity.currency == "mxn")
                #expect(entity.createdAt == Timestamp(rfc3339: "2026-12-01T10:00:00Z"))
                #expect(try await api.fetch(Self.event(provider: "bitso", kind: "funding", id: "nope")) == nil)
            }
        }
    }

    @Test func bitsoRefusesAReusedNonceAndTheClientRecoversWithAFreshOne() async throws {
        try await Self.withStandIn { standIn in
            try await standIn.seed("bitso", kind: "funding", record: #"{"fid": "f1", "status": "complete", "currency": "mxn", "amount": "1"}"#)
            let key = standIn.credentials("bitso")["key", default: ""]
            let secret = standIn.credentials("bitso")["secret", default: ""]
            // Another client of the same key signed with a nonce ahead of our clock's first reading.
            let start = Timestamp.now().millisecondsSinceEpoch * 1000
            let ahead = String(start + 1_000_000)
            let path = "/bitso/v3/fundings/f1/"
            let signature = HMAC<SHA256>.authenticationCode(for: Array((ahead + "GET" + path).utf8), using: SymmetricKey(data: Array(secret.utf8)))
            let header = "Bitso \(key):\(ahead):\(signature.map { String(format: "%02x", $0) }.joined())"
            #expect(try await standIn.send("GET", path, headers: [("Authorization", header)]) == 200)
            #expect(try await standIn.send("GET", path, headers: [("Authorization", header)]) == 401, "the same nonce again is refused")

            let source = try Self.source("bitso", standIn: standIn, authentication: #""token": "env:W""#)
            // Our clock reads `start` first, then two seconds later (after the retry's pause).
            let readings = NIOLockedValueBox([start, start + 2_000_000])
            let nonces = IncreasingNonce { readings.withLockedValue { $0.count > 1 ? $0.removeFirst() : $0[0] } }
            let api = BitsoAPI(settings: try #require(source.api), nonces: nonces)
            try await withTeardown({ await api.shutdown() }) {
                let status = try await api.fetch(Self.event(provider: "bitso", kind: "funding", id: "f1"))?.status
                #expect(status == "complete")
            }
            let reasons = try await standIn.requests().map(\.reason)
            #expect(reasons == ["ok", "bitso: reused nonce", "bitso: reused nonce", "ok"])
        }
    }

    @Test func bitsoWithAWrongSecretFailsAsAnAuthenticationError() async throws {
        try await Self.withStandIn { standIn in
            var source = try Self.source("bitso", standIn: standIn, authentication: #""token": "env:W""#)
            source.api?.credentials["secret"] = Secret(reference: "env:WRONG", bytes: Array("wrong".utf8))
            let api = try #require(ProviderRegistry.api(for: source))
            try await withTeardown({ await api.shutdown() }) {
                await #expect(throws: APIError.self) { try await api.fetch(Self.event(provider: "bitso", kind: "funding", id: "f1")) }
                do {
                    _ = try await api.fetch(Self.event(provider: "bitso", kind: "funding", id: "f1"))
                } catch let error as APIError {
                    #expect(error.code == .apiAuthFailed)
                    #expect(!error.isRetriable)
                }
            }
            #expect(try await standIn.requests().allSatisfy { $0.reason == "bitso: bad signature" })
        }
    }

    /// A Bitnob client against the stand-in, which knows `id` as a settled 10 USDT debit (signed
    /// negative, as Bitnob's API sends debits).
    static func bitnobClientWithDebit(_ id: String, standIn: ProviderAPIStandIn) async throws -> BitnobAPI {
        try await standIn.seed(
            "bitnob",
            kind: "transaction",
            record: #"{"transaction_id": "\#(id)", "currency": "USDT", "state": "SETTLED", "amount": "-10000000", "amount_formatted": "-10.0 USDT"}"#
        )
        return BitnobAPI(settings: try #require(try Self.source("bitnob", standIn: standIn, authentication: #""secrets": ["env:W"]"#).api))
    }

    @Test func bitnobSignsEachRequestOnceAndTheStandInRefusesAReplay() async throws {
        try await Self.withStandIn { standIn in
            let client = try await Self.bitnobClientWithDebit("txn_1", standIn: standIn)
            try await withTeardown({ await client.shutdown() }) {
                let entity = try #require(try await client.fetch(Self.event(provider: "bitnob", kind: "transaction", id: "txn_1")))
                #expect(entity.status == "success", "SETTLED is the webhooks' success")
                #expect(entity.amount == "10.0", "the magnitude of a signed minor-unit amount")
                #expect(client.statusMatches(event: "completed", api: "success"))
                // The same signed headers a second time: the nonce was used.
                let replay = client.signed("/api/transactions/txn_1")
                #expect(try await standIn.send("GET", "/bitnob/api/transactions/txn_1", headers: replay.headers) == 200)
                #expect(try await standIn.send("GET", "/bitnob/api/transactions/txn_1", headers: replay.headers) == 401)
            }
            #expect(try await standIn.requests().map(\.reason).last == "bitnob: reused nonce")
        }
    }

    /// Issue #28 item 8 (confirmed): the client keeps the magnitude, so a credit webhook about a
    /// debit of the same size looked alike; the direction is now compared on its own.
    @Test func bitnobComparesTheDirectionBesideTheMagnitude() async throws {
        try await Self.withStandIn { standIn in
            let client = try await Self.bitnobClientWithDebit("txn_d", standIn: standIn)
            try await withTeardown({ await client.shutdown() }) {
                var event = Self.event(provider: "bitnob", kind: "transaction", id: "txn_d", status: "success", amount: "10.0", currency: "USDT")
                event.data.event = "stablecoin.usdt.received.success"
                let entity = try #require(try await client.fetch(event))
                #expect(client.directionDifference(event: event, entity: entity) == "direction: event credit, api debit")
                event.data.event = "payouts.withdrawal.success"
                #expect(client.directionDifference(event: event, entity: entity) == nil)
                event.data.event = "transfer.success"
                #expect(client.directionDifference(event: event, entity: entity) == nil, "the name does not say: not compared")
            }
        }
    }

    /// Issue #28 item 9 (partly confirmed): `/` and `%` were already encoded into one segment;
    /// an id of `.`, `..` or nothing reached the path as a dot-segment. Now refused.
    @Test func entityIdsAreOnePathSegmentAndDotSegmentsAreRefused() async throws {
        try await Self.withStandIn { standIn in
            let api = try #require(ProviderRegistry.api(for: try Self.source("bitnob", standIn: standIn, authentication: #""secrets": ["env:W"]"#)))
            try await withTeardown({ await api.shutdown() }) {
                for id in ["..", ".", ""] {
                    await #expect(throws: APIError.self) { _ = try await api.fetch(Self.event(provider: "bitnob", kind: "transaction", id: id)) }
                }
                _ = try? await api.fetch(Self.event(provider: "bitnob", kind: "transaction", id: "a/../b%2F"))
                let paths = try await standIn.requests().map(\.path)
                #expect(paths == ["/bitnob/api/transactions/a%2F..%2Fb%252F"], "\(paths)")
            }
        }
    }

    @Test func bitpowrReadsTheListShapedAnswerWithABearerToken() async throws {
        try await Self.withStandIn { standIn in
            try await standIn.seed(
                "bitpowr",
                kind: "transaction",
                record: #"{"uid": "u1", "status": "SUCCESS", "amount": 0.02999761, "assetType": "BTC"}"#
            )
            let api = try #require(ProviderRegistry.api(for: try Self.source("bitpowr", standIn: standIn, authentication: #""secrets": ["env:W"]"#)))
            try await withTeardown({ await api.shutdown() }) {
                let entity = try #require(try await api.fetch(Self.event(provider: "bitpowr", kind: "transaction", id: "u1")))
                #expect(entity.status == "success")
                #expect(entity.amount == "0.02999761", "a JSON number kept digit for digit")
                #expect(entity.currency == "BTC")
            }
            #expect(try await standIn.send("GET", "/bitpowr/api/v1/transactions/u1", headers: [("Authorization", "Bearer nope")]) == 401)
        }
    }

    @Test func koyweSignsInOnceRefusesAnExpiredTokenAndSignsInAgainAfterARevocation() async throws {
        try await Self.withStandIn { standIn in
            try await standIn.seed("koywe", kind: "order", record: #"{"id": "ord_1", "status": "PAID", "amount": 1000000, "currency": "COP"}"#)
            let api = try #require(ProviderRegistry.api(for: try Self.source("koywe", standIn: standIn, authentication: #""secrets": ["env:W"]"#)))
            try await withTeardown({ await api.shutdown() }) {
                let order = Self.event(provider: "koywe", kind: "order", id: "ord_1")
                #expect(try await api.fetch(order)?.status == "paid")
                #expect(try await api.fetch(order)?.amount == "1000000")
                try await standIn.revokeKoyweTokens()
                #expect(try await api.fetch(order)?.status == "paid", "a refused token is replaced by a new sign-in")
            }
            let paths = try await standIn.requests().map { "\($0.path.hasSuffix("sign-in") ? "sign-in" : "get") \($0.status)" }
            #expect(paths == ["sign-in 200", "get 200", "get 200", "get 401", "sign-in 200", "get 200"])

            // A token that has expired is refused.
            try await standIn.setKoyweTokenLifetime(seconds: -10)
            let expired = try await Self.signInToken(standIn)
            let status = try await standIn.send(
                "GET",
                "/koywe/api/v1/organizations/org-standin/merchants/mer-standin/orders/ord_1",
                headers: [("Authorization", "Bearer \(expired)")]
            )
            #expect(status == 401)
            #expect(try await standIn.requests().last?.reason == "koywe: expired token")
        }
    }

    static func signInToken(_ standIn: ProviderAPIStandIn) async throws -> String {
        let source = try Self.source("koywe", standIn: standIn, authentication: #""secrets": ["env:W"]"#)
        let connection = APIConnection(provider: "koywe", settings: try #require(source.api))
        defer { Task { await connection.shutdown() } }
        return try await KoyweAPI.signIn(connection).0
    }

    @Test func bitCapitalGetsAnOAuthTokenSignsRequestsAndSumsPayments() async throws {
        try await Self.withStandIn { standIn in
            try await standIn.seed(
                "bitcapital",
                kind: "transaction",
                record:
                    #"{"id": "t1", "states": [{"status": "pending"}, {"status": "executed"}], "payments": [{"amount": "10.50", "asset": "BRLD"}, {"amount": "0.25", "asset": "BRLD"}]}"#
            )
            let api = try #require(
                ProviderRegistry.api(for: try Self.source("bitcapital", standIn: standIn, authentication: #""secrets": ["env:W"]"#))
            )
            try await withTeardown({ await api.shutdown() }) {
                let entity = try #require(try await api.fetch(Self.event(provider: "bitcapital", kind: "transaction", id: "t1")))
                #expect(entity.status == "executed", "the latest state")
                #expect(entity.amount == "10.75", "the payments' exact sum")
                #expect(entity.currency == "BRLD")
            }
            #expect(try await standIn.requests().map(\.reason) == ["ok", "ok"])
        }
    }

    @Test func rateLimitsAndServerErrorsAreRetriableAndCarryRetryAfter() async throws {
        try await Self.withStandIn { standIn in
            let api = try #require(ProviderRegistry.api(for: try Self.source("bitpowr", standIn: standIn, authentication: #""secrets": ["env:W"]"#)))
            try await standIn.inject("bitpowr", [(429, ["Retry-After": "7"]), (503, [:]), (400, [:])])
            try await withTeardown({ await api.shutdown() }) {
                let event = Self.event(provider: "bitpowr", kind: "transaction", id: "u1")
                var errors: [APIError] = []
                for _ in 0..<3 {
                    do {
                        _ = try await api.fetch(event)
                    } catch let error as APIError {
                        errors.append(error)
                    }
                }
                #expect(errors.map(\.code) == [.apiRateLimited, .apiUnavailable, .apiRejected])
                #expect(errors.map(\.isRetriable) == [true, true, false])
                #expect(errors.first?.retryAfter == .seconds(7))
            }
        }
    }

    /// Issue #28 item 2: any Retry-After from the API is bounded; none traps.
    @Test func anyRetryAfterIsBoundedAndNeverTraps() async throws {
        try await Self.withStandIn { standIn in
            let api = try #require(ProviderRegistry.api(for: try Self.source("bitpowr", standIn: standIn, authentication: #""secrets": ["env:W"]"#)))
            let asks = ["9223372036854775807", "100000", "Fri, 31 Dec 9999 23:59:59 GMT", "-5", "3"]
            try await standIn.inject("bitpowr", asks.map { (429, ["Retry-After": $0]) })
            try await withTeardown({ await api.shutdown() }) {
                var waits: [Duration?] = []
                for _ in asks {
                    do {
                        _ = try await api.fetch(Self.event(provider: "bitpowr", kind: "transaction", id: "u1"))
                    } catch let error as APIError {
                        waits.append(error.retryAfter)
                    }
                }
                #expect(waits == [RetryAfter.maximum, RetryAfter.maximum, RetryAfter.maximum, .seconds(60), .seconds(3)])
            }
        }
    }

    @Test func routesCheckValidatesTheAPIEntry() throws {
        func problems(_ api: String, provider: String = "bitso") -> [String] {
            let text =
                #"{"version": 1, "sources": {"s": {"provider": "\#(provider)", "token": "env:W", "secrets": ["env:W"], "api": \#(api)}}, "routes": []}"#
            return RoutesConfigLoader.parse(Array(text.utf8), environment: ["W": "x", "K": "k"]).problems.map(\.description)
        }
        #expect(problems(#"{"credentials": {"key": "env:K", "secret": "env:K"}}"#).isEmpty)
        #expect(problems(#"{"credentials": {"key": "env:K"}}"#).contains { $0.contains("credentials.secret") })
        #expect(problems(#"{"credentials": {"key": "env:K", "secret": "env:K"}, "baseUrl": "ftp://x"}"#).contains { $0.contains("http") })
        #expect(problems(#"{"credentials": {"key": "env:K", "secret": "env:K"}, "pollEvery": "1s"}"#).contains { $0.contains("pollEvery") })
        #expect(problems(#"{"credentials": {"key": "env:K", "secret": "env:K"}, "paths": {"nope": "/x"}}"#).contains { $0.contains("nope") })
        #expect(
            problems(#"{"credentials": {"clientId": "env:K", "clientSecret": "env:K"}}"#, provider: "bitcapital").contains { $0.contains("baseUrl") }
        )
        #expect(problems(#"{"credentials": {}}"#, provider: "standardwebhooks").contains { $0.contains("no API client") })
    }
}
