import Testing

@testable import HookwayCore

/// routes.json's one template language: `{path}` and `{{path}}` read the same in single values.
@Suite struct TemplateSyntaxTests {
    static let event = Event(
        id: "bitnob:payout:1:success",
        data: EventData(
            provider: "bitnob",
            source: "bitnob",
            event: "payout.transfer.success",
            entity: nil,
            status: "success",
            amount: "35.81",
            currency: "NGN",
            reference: nil,
            payload: .object([])
        ),
        authMethod: .signature,
        receivedAt: Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)
    )

    @Test(arguments: [
        ("webhooks.{provider}.{event}", "webhooks.{{provider}}.{{event}}"),
        ("{type}", "{{ type }}"),
        ("x.{source}.y", "x.{{source}}.y"),
    ])
    func topicTemplatesReadBothSpellings(single: String, double: String) {
        #expect(TopicTemplate.problem(in: double) == nil)
        #expect(TopicTemplate(double).render(for: Self.event) == TopicTemplate(single).render(for: Self.event))
        #expect(TopicTemplate(double).producibleTopics == TopicTemplate(single).producibleTopics)
    }

    @Test(arguments: [
        ("assets:{provider}:{data.currency}", "assets:{{provider}}:{{ data.currency }}"),
        ("{data.amount}", "{{data.amount}}"),
    ])
    func fieldTemplatesReadBothSpellings(single: String, double: String) throws {
        let a = try #require(FieldTemplate(single))
        let b = try #require(FieldTemplate(double))
        #expect(a.references == b.references)
        #expect(a.render(Self.event) == b.render(Self.event))
    }

    @Test(arguments: ["webhooks.{{source}", "webhooks.{{source", "webhooks.{source}}"])
    func halfDoubledBracesAreNamedWithTheHint(_ template: String) {
        let problem = TopicTemplate.problem(in: template)
        #expect(problem?.contains(TemplateSyntax.hint) == true, "\(problem ?? "nil")")
    }

    @Test func fieldTemplatesRefuseHalfDoubledBraces() {
        #expect(FieldTemplate("{{data.amount}") == nil)
    }
}
