import Foundation
import HookwayTesting
import Testing

/// The alerting rules and the dashboard (issue 30), checked with what this machine has: promtool
/// (Debian's, unpacked into .tools/bin by scripts/bootstrap) checks and unit-tests the rules, the
/// dashboard parses and every panel queries the data source, every alert has its runbook.
struct AlertRulesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    static let promtool = ".tools/bin/promtool"

    static func run(_ command: String) throws -> (status: Int32, output: String) {
        try ShellCommand.run("/bin/bash", ["-c", command], in: root)
    }

    static func text(_ path: String) throws -> String {
        try String(contentsOfFile: root + "/" + path, encoding: .utf8)
    }

    @Test func promtoolCheckRulesPasses() throws {
        let result = try Self.run("\(Self.promtool) check rules deploy/prometheus/alerts.yml")
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("SUCCESS"), "\(result.output)")
    }

    /// deploy/prometheus/alerts.test.yml: synthetic series for every rule, firing and not firing.
    @Test func promtoolTestRulesPasses() throws {
        let result = try Self.run("\(Self.promtool) test rules deploy/prometheus/alerts.test.yml")
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("SUCCESS"), "\(result.output)")
    }

    /// deploy/prometheus.yml, with the rules file where docker-compose.yml mounts it.
    @Test func prometheusConfigLoadsTheRules() throws {
        let result = try Self.run(
            """
            tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
            sed "s#/etc/prometheus/alerts.yml#$PWD/deploy/prometheus/alerts.yml#" deploy/prometheus.yml > "$tmp/prometheus.yml"
            \(Self.promtool) check config "$tmp/prometheus.yml"
            """
        )
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("1 rule files found"), "\(result.output)")
    }

    @Test func dashboardParsesAndEveryPanelQueriesTheDataSource() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.root + "/deploy/grafana/hookway.json"))
        let object = try JSONSerialization.jsonObject(with: data)
        let dashboard = try #require(object as? [String: Any])
        #expect((dashboard["schemaVersion"] as? Int) == 39)
        let variables = ((dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]]) ?? []
        let names = Set(variables.compactMap { $0["name"] as? String })
        #expect(names.isSuperset(of: ["datasource", "source", "sink"]), "\(names.sorted())")
        var panels = (dashboard["panels"] as? [[String: Any]]) ?? []
        panels += panels.flatMap { ($0["panels"] as? [[String: Any]]) ?? [] }
        let queried = panels.filter { ($0["type"] as? String) != "row" }
        #expect(queried.count >= 15)
        for panel in queried {
            let title = (panel["title"] as? String) ?? "?"
            let datasource = panel["datasource"] as? [String: Any]
            #expect((datasource?["uid"] as? String) == "${datasource}", "\(title)")
            let targets = (panel["targets"] as? [[String: Any]]) ?? []
            #expect(!targets.isEmpty, "\(title) has no target")
            for target in targets {
                #expect(!((target["expr"] as? String) ?? "").isEmpty, "\(title): a target without expr")
            }
        }
    }

    /// Every alert's runbook_url points at its own heading in docs/operations.md.
    @Test func everyAlertHasARunbookEntry() throws {
        let rules = try Self.text("deploy/prometheus/alerts.yml")
        let docs = try Self.text("docs/operations.md")
        let anchors = Set(docs.split(separator: "\n").filter { $0.hasPrefix("#") }.map { Self.anchor(String($0)) })
        var alerts: [String] = []
        var runbooks: [String: String] = [:]
        for raw in rules.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("- alert: ") {
                alerts.append(String(line.dropFirst("- alert: ".count)))
            } else if line.hasPrefix("runbook_url: "), let alert = alerts.last {
                runbooks[alert] = String(line.dropFirst("runbook_url: ".count))
            }
        }
        #expect(alerts.count >= 12)
        #expect(Set(runbooks.keys) == Set(alerts), "alerts without runbook_url: \(Set(alerts).subtracting(runbooks.keys).sorted())")
        for (alert, url) in runbooks.sorted(by: { $0.key < $1.key }) {
            let parts = url.split(separator: "#", maxSplits: 1).map(String.init)
            #expect(parts.count == 2 && parts[0].hasSuffix("docs/operations.md"), "\(alert): \(url)")
            let fragment = parts.count == 2 ? parts[1] : ""
            #expect(fragment == alert.lowercased(), "\(alert): \(url)")
            #expect(anchors.contains(fragment), "\(alert): docs/operations.md has no heading for #\(fragment)")
        }
    }

    /// scripts/checks/promql-metrics.py (every expression parses and names only exported
    /// metrics), run on fake /metrics dumps: the real files pass, an unknown metric fails.
    @Test func promqlMetricsCheckFindsUnknownMetrics() throws {
        let result = try Self.run(".tools/venv/bin/python scripts/checks/promql-metrics-selftest.py \(Self.promtool)")
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains(" 0 failed"), "\(result.output)")
    }

    /// GitHub's anchor for a Markdown heading: lower case, spaces to hyphens, other punctuation dropped.
    static func anchor(_ heading: String) -> String {
        let text = heading.drop(while: { $0 == "#" }).trimmingCharacters(in: .whitespaces).lowercased()
        var slug = ""
        for character in text {
            if character == " " {
                slug.append("-")
            } else if character.isLetter || character.isNumber || character == "-" || character == "_" {
                slug.append(character)
            }
        }
        return slug
    }
}
