import HookwayCore
import Testing

struct OutcomeTests {
    static let summary = Outcome.Summary(
        source: "/webhooks/bitso",
        type: "bitso.funding.complete",
        subject: "037c4c",
        time: "2026-12-07T10:00:00.000Z",
        receivedAt: "2026-12-07T10:00:01.250Z",
        authMethod: "signature",
        amount: "100.00",
        currency: "MXN",
        status: "complete"
    )

    static let cases: [Outcome] = [
        Outcome(
            eventID: "bitso:funding:037c4c",
            kind: .received,
            topics: [Outcome.Position(topic: "payments.deposits", partition: 3, offset: 120)],
            summary: summary
        ),
        Outcome(eventID: "e1", kind: .booked, sink: "ledger", attempt: 1),
        Outcome(eventID: "e1", kind: .confirmed, sink: "confirm", attempt: 2, result: "mismatch"),
        Outcome(eventID: "e1", kind: .skipped, sink: "ops-email", attempt: 1, replay: true, result: "already sent"),
        Outcome(eventID: "e1", kind: .retried, sink: "crm", attempt: 1, code: "destination_unavailable", message: "POST … answered 503"),
        Outcome(
            eventID: "e1",
            kind: .deadLettered,
            sink: "crm",
            attempt: 5,
            code: "destination_rejected",
            message: "answered 422",
            deadLetter: Outcome.Position(topic: "crm.dlq", partition: 0, offset: 7)
        ),
    ]

    @Test(arguments: cases)
    func anOutcomeReadsBackAsWritten(_ outcome: Outcome) throws {
        #expect(try Outcome(bytes: outcome.jsonBytes) == outcome)
    }

    @Test func moneyStaysADecimalStringAndKindsAreSnakeCase() throws {
        let text = String(decoding: Self.cases[0].jsonBytes, as: UTF8.self)
        #expect(text.contains(#""amount":"100.00""#))
        #expect(String(decoding: Self.cases[5].jsonBytes, as: UTF8.self).contains(#""kind":"dead_lettered""#))
    }

    @Test(arguments: [
        (#"{"kind":"booked","at":"2026-12-07T10:00:00.000Z"}"#, "no eventid"),
        (#"{"eventid":"e","kind":"teleported","at":"2026-12-07T10:00:00.000Z"}"#, "unknown kind teleported"),
        (#"{"eventid":"e","kind":"booked","at":"yesterday"}"#, "no RFC 3339 at"),
        ("not json", "not JSON"),
    ])
    func aMalformedOutcomeSaysWhatIsWrong(_ text: String, _ expected: String) {
        #expect {
            _ = try Outcome(bytes: Array(text.utf8))
        } throws: { error in
            (error as? OutcomeDecodingError)?.message.hasPrefix(expected) == true
        }
    }

    @Test func whereConditionsParseInTheRoutesLanguage() {
        let one = Condition.parse(#"{"field":"data.amount","gte":100}"#)
        #expect(one.problems.isEmpty)
        #expect(one.conditions.count == 1)
        let bad = Condition.parse(#"{"field":"data.amount","between":[1,2]}"#)
        #expect(!bad.problems.isEmpty)
        #expect(!Condition.parse("data.amount > 100").problems.isEmpty)
    }
}
