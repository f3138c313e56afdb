import Foundation
import Testing

/// Checks on the repository itself that a compiler does not make.
@Suite struct RepositoryChecksTests {
    /// Every module a target imports is declared in Package.swift (not merely brought in by
    /// another dependency): scripts/checks/declared-imports.py.
    @Test func everyImportedModuleIsDeclared() throws {
        let result = try CLI.run(
            [CLI.root.appendingPathComponent("scripts/checks/declared-imports.py").path, CLI.root.path],
            environment: ProcessInfo.processInfo.environment,
            executable: "/usr/bin/python3"
        )
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains(", 0 undeclared imports"), "\(result.stdout)")
    }

    /// The sources are formatted with the repository's `.swift-format` (scripts/checks/format.sh;
    /// `make format` applies it).
    @Test func everySwiftFileIsFormatted() throws {
        let result = try CLI.run(
            [CLI.root.appendingPathComponent("scripts/checks/format.sh").path, CLI.root.path],
            environment: ProcessInfo.processInfo.environment,
            executable: "/bin/bash"
        )
        #expect(result.status == 0, "\(result.stdout.prefix(4000))\(result.stderr)")
    }

    /// A provider is one folder: outside `Sources/HookwayProviders/<Name>/` and the registry,
    /// no Swift source of the product spells a provider's name as a string (issue 19's grep).
    /// `HookwayTesting` is exempt: it is test support (the provider API stand-in's launcher names
    /// the providers it stands in for), never part of the product.
    @Test func providerNamesLiveInTheirFolders() throws {
        let sources = CLI.root.appendingPathComponent("Sources")
        let providers = sources.appendingPathComponent("HookwayProviders").path + "/"
        let names = ["bitcapital", "bitpowr", "bitso", "koywe", "bitnob", "standardwebhooks"]
        var offenders: [String] = []
        let files = FileManager.default.enumerator(atPath: sources.path)?.compactMap { $0 as? String } ?? []
        #expect(files.count > 50, "found the sources")
        for relative in files where relative.hasSuffix(".swift") {
            let path = sources.appendingPathComponent(relative).path
            let inFolder = path.hasPrefix(providers) && relative.split(separator: "/").count == 3 && !relative.hasPrefix("HookwayProviders/Support/")
            if inFolder || relative == "HookwayProviders/ProviderRegistry.swift" || relative.hasPrefix("HookwayTesting/") { continue }
            let text = try String(contentsOfFile: path, encoding: .utf8)
            for name in names where text.contains("\"\(name)\"") { offenders.append("\(relative): \"\(name)\"") }
        }
        #expect(offenders == [])
    }

    /// Every product error has the one shape (``HookwayError``: code, message, retriable).
    /// Exempt: HookwayKafka's `KafkaError` (same three parts, its own code type: that module
    /// depends on nothing of ours), errors that never leave their module (the template parsers'
    /// results, turned into `routes check` problems; the SMTP client's reply kinds, turned into
    /// ``SinkError`` where they are caught),
    /// and test support and benchmarks.
    @Test func everyProductErrorHasACode() throws {
        let sources = CLI.root.appendingPathComponent("Sources")
        let exempt: Set<String> = ["KafkaError", "Message", "BraceProblem", "SMTPClientError"]
        let skippedModules = ["HookwayTesting/", "BenchBare/", "BenchKafka/"]
        var offenders: [String] = []
        let files = FileManager.default.enumerator(atPath: sources.path)?.compactMap { $0 as? String } ?? []
        for relative in files where relative.hasSuffix(".swift") && !skippedModules.contains(where: relative.hasPrefix) {
            let text = try String(contentsOfFile: sources.appendingPathComponent(relative).path, encoding: .utf8)
            for line in text.split(separator: "\n") {
                let words = line.split(whereSeparator: { $0 == " " || $0 == ":" || $0 == "," || $0 == "{" })
                guard let index = words.firstIndex(where: { $0 == "struct" || $0 == "enum" || $0 == "class" }), index + 1 < words.count else {
                    continue
                }
                let name = String(words[index + 1])
                let conformances = words[(index + 2)...]
                if conformances.contains("Error"), !conformances.contains("HookwayError"), !exempt.contains(name) {
                    offenders.append("\(relative): \(name)")
                }
            }
        }
        #expect(offenders == [])
    }
}
