import Mustache
import Testing

@testable import HookwaySinks

/// What `routes check` and strict mode learn of a template, from swift-mustache.
@Suite struct MustacheCheckTests {
    @Test(arguments: [
        (
            "Dear {{data.payload.data.nickname}}, {{ type }} {{{subject}}} {{&data.amount}}",
            ["data.payload.data.nickname", "type", "subject", "data.amount"]
        ),
        // Inside a section names resolve against the section's value: not listed.
        ("{{#data.payload.items}}{{name}}{{/data.payload.items}}{{id}}", ["id"]),
        ("{{^data.reference}}no reference{{/data.reference}}{{! a comment }}", []),
        ("{{id}} again {{id}}", ["id"]),
        ("plain text", []),
    ])
    func topLevelVariables(_ source: String, _ expected: [String]) throws {
        let template = try MustacheTemplate(string: source)
        #expect(MustacheCheck.topLevelVariables(of: template) == expected)
    }

    @Test(arguments: ["{{data.email", "{{#data.status}}x", "{{#a}}x{{/b}}"])
    func problemsAreNamed(_ source: String) {
        #expect(MustacheCheck.problem(in: source) != nil)
    }

    @Test func goodTemplatesHaveNoProblem() {
        #expect(MustacheCheck.problem(in: "{{#data.status}}{{.}}{{/data.status}} {{type}}") == nil)
    }
}
