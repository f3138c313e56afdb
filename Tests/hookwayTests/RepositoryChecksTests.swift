import Foundation
import Testing

/// Checks on the repository itself that a compiler does not make.
@Suite struct RepositoryChecksTests {
    /// Every module a target imports is declared in Package.swift (not merely brought in by
    /// another dependency): scripts/checks/declared-imports.py.
    @Test func everyImportedModuleIsDeclared() throws {
        let result = try CLI.run(
            [CLI.root.appendingPathComponent("scripts/checks/declared-imports.py").path, CLI.root.path],
            environment: ProcessInfo.processInfo.environment, executable: "/usr/bin/python3")
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains(", 0 undeclared imports"), "\(result.stdout)")
    }
}
