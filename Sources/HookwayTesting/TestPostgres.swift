import Foundation

/// The PostgreSQL server tests may use: `HOOKWAY_TEST_POSTGRES` (a `postgres://` URL of a
/// role that may create databases), set by `make test` when it could start a local server.
public enum TestPostgres {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The server's URL, or `nil` when PostgreSQL tests are not enabled here.
    public static var serverURL: String? {
        guard let url = ProcessInfo.processInfo.environment["HOOKWAY_TEST_POSTGRES"], !url.isEmpty else { return nil }
        return url
    }

    /// Creates an empty database for one test (with `psql`) and returns its URL.
    public static func freshDatabase() throws -> String {
        guard let serverURL, var components = URLComponents(string: serverURL) else {
            throw Failure(description: "HOOKWAY_TEST_POSTGRES is not set")
        }
        let name = "hookway_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let created = try run("CREATE DATABASE \(name)", on: serverURL)
        guard created.ok else { throw Failure(description: "psql could not create a test database: \(created.output)") }
        components.path = "/" + name
        guard let url = components.string else { throw Failure(description: "cannot build a database URL from HOOKWAY_TEST_POSTGRES") }
        return url
    }
}

extension TestPostgres {
    /// Runs one SQL statement with `psql` against `url`; returns whether it succeeded and its output.
    public static func run(_ sql: String, on url: String) throws -> (ok: Bool, output: String) {
        let result = try ShellCommand.run("/usr/bin/env", ["psql", url, "-v", "ON_ERROR_STOP=1", "-q", "-t", "-A", "-c", sql])
        return (result.status == 0, result.output)
    }
}
