import Foundation
import HookwayCore
import HookwaySinks
import Testing

/// Issue 15 §4 and §8 in the sinks: the ledger books only positive, bounded amounts; secrets a
/// sink resolved never come back out in its errors (which become logs and `hookway_error`).
@Suite(.timeLimit(.minutes(2)))
struct SinkEdgeTests {
    static func ledger(allowNegative: Bool? = nil, maxAmountDigits: Int? = nil) throws -> LedgerSink {
        let allow = allowNegative.map { #", "allowNegative": \#($0)"# } ?? ""
        let digits = maxAmountDigits.map { #", "maxAmountDigits": \#($0)"# } ?? ""
        let json = """
            { "kind": "accounting", "topics": ["t"], "database": "sqlite:\(NSTemporaryDirectory())ledger-edge-\(UUID().uuidString).sqlite"\(digits),
              "postings": [ { "match": {}, "debit": "assets:x", "credit": "liabilities:y"\(allow) } ] }
            """
        return try LedgerSink.make(sinkConfig("ledger", kind: .accounting, json))
    }

    @Test(arguments: ["-15000.50", "0", "0.00", "-0.01"])
    func notPositiveAmountsArePermanentErrors(amount: String) async throws {
        let sink = try Self.ledger()
        let error = #expect(throws: SinkError.self) { try sink.request(for: sampleEvent(amount: amount)) }
        #expect(error?.isPermanent == true)
        #expect(error?.message.contains("is not positive") == true)
        #expect(error?.message.contains("reversal") == true)
        await sink.shutdown()
    }

    @Test func allowNegativeBooksThem() async throws {
        let sink = try Self.ledger(allowNegative: true)
        let request = try sink.request(for: sampleEvent(amount: "-3.50"))
        #expect(request.entries.map(\.amount.plainText) == ["-3.50", "3.50"])
        await sink.shutdown()
    }

    @Test func amountsBeyondTheDigitBoundAreRefused() async throws {
        let sink = try Self.ledger()
        let error = #expect(throws: SinkError.self) { try sink.request(for: sampleEvent(amount: String(repeating: "9", count: 3_000))) }
        #expect(error?.isPermanent == true)
        #expect(error?.message.contains("3000 significant digits") == true)
        let wide = try Self.ledger(maxAmountDigits: 60)
        #expect(try wide.request(for: sampleEvent(amount: String(repeating: "9", count: 50))).entries.count == 2)
        await sink.shutdown()
        await wide.shutdown()
    }

    @Test func leadingZerosBookTheirValueQuickly() async throws {
        let sink = try Self.ledger()
        let started = ContinuousClock.now
        let request = try sink.request(for: sampleEvent(amount: String(repeating: "0", count: 200_000) + "12.5"))
        #expect(ContinuousClock.now - started < .seconds(1))
        #expect(request.entries.first?.amount.plainText == "12.5")
        await sink.shutdown()
    }

    /// A secret in the URL's userinfo and path: the error (a 400 that names the URL) keeps neither.
    @Test func crmSecretsInTheURLAreScrubbedFromErrors() async throws {
        try await CRMRecorder.withServer { base, recorder in
            recorder.script(.init(status: 400))
            let host = base.replacingOccurrences(of: "http://", with: "")
            let json = #"{ "kind": "crm", "topics": ["t"], "url": "http://apiuser:{env:CRM_PASS}@\#(host)/hooks/{env:CRM_PATH_KEY}/contacts" }"#
            let sink = try CRMSink.make(
                sinkConfig("crm", kind: .crm, json),
                environment: ["CRM_PASS": "pa55-w0rd-9", "CRM_PATH_KEY": "k/ey with space"]
            )
            let error = await #expect(throws: SinkError.self) { try await sink.deliver(sampleEvent()) }
            let message = error?.message ?? ""
            #expect(!message.contains("pa55-w0rd-9"), "\(message)")
            #expect(
                !message.contains("k/ey with space") && !message.contains("k%2Fey%20with%20space") && !message.contains("k/ey%20with%20space"),
                "\(message)"
            )
            #expect(message.contains("<secret env:CRM_PATH_KEY>") || message.contains("<secret env:CRM_PASS>"), "\(message)")
            #expect(sink.secrets.count == 2)
            await sink.shutdown()
        }
    }
}
