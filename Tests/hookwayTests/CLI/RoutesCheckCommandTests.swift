import Foundation
import Testing

/// `hookway routes check`: exit codes and output, as CONTRACT.md §1 states them.
struct RoutesCheckCommandTests {
    @Test func repositoryRoutesFileIsValid() throws {
        let result = try CLI.run(["routes", "check", "--config", CLI.root.appendingPathComponent("routes.json").path])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.hasPrefix("routes.json: 6 sources, 4 routes, 5 sinks — ok"), "\(result.stdout)")
    }

    @Test func brokenFileExitsOneWithOneLinePerProblem() throws {
        let dir = NSTemporaryDirectory() + "hookway-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/routes.json"
        try """
        { "version": 1,
          "sources": { "bitnob": { "provider": "bitnob", "secrets": ["literal-secret-value"] },
                       "x": { "provider": "bitnobb", "secrets": ["env:NOPE_NOT_SET"] } },
          "routes": [ { "name": "a", "match": { "where": [ { "field": "data.amount", "gte": "lots" } ] }, "to": ["t.{nope}"] } ] }
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try CLI.run(["routes", "check", "--config", path])
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count >= 4, "\(result.stdout)")
        #expect(result.stdout.contains("$.sources.bitnob.secrets[0]: literal secret; use \"env:NAME\" or \"file:PATH\""))
        #expect(result.stdout.contains("$.sources.x.provider: unknown provider \"bitnobb\""))
        #expect(result.stdout.contains("$.routes[0].match.where[0].gte"))
        #expect(result.stdout.contains("$.routes[0].to"))
        #expect(!result.stdout.contains("literal-secret-value"))
    }

    @Test func explainShowsMatchingRoutesAndTopics() throws {
        let result = try CLI.run([
            "routes", "check", "--config", CLI.root.appendingPathComponent("routes.json").path, "--source", "bitso", "--type",
            "bitso.funding.complete",
        ])
        #expect(result.status == 0)
        #expect(result.stdout.contains("payments.deposits"), "\(result.stdout)")
        #expect(result.stdout.contains("webhooks.bitso.funding.complete"))
    }

    @Test func missingConfigIsExitOne() throws {
        let result = try CLI.run(["routes", "check", "--config", "/nonexistent/routes.json"])
        #expect(result.status == 1)
    }
}
