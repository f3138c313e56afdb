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
        let psql = Process()
        psql.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        psql.arguments = ["psql", serverURL, "-v", "ON_ERROR_STOP=1", "-q", "-c", "CREATE DATABASE \(name)"]
        let errors = Pipe()
        psql.standardError = errors
        psql.standardOutput = FileHandle.nullDevice
        try psql.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        psql.waitUntilExit()
        guard psql.terminationStatus == 0 else {
            throw Failure(description: "psql could not create a test database: \(String(decoding: message, as: UTF8.self))")
        }
        components.path = "/" + name
        guard let url = components.string else { throw Failure(description: "cannot build a database URL from HOOKWAY_TEST_POSTGRES") }
        return url
    }
}

extension TestPostgres {
    /// Runs one SQL statement with `psql` against `url`; returns whether it succeeded and its output.
    public static func run(_ sql: String, on url: String) throws -> (ok: Bool, output: String) {
        let psql = Process()
        psql.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        psql.arguments = ["psql", url, "-v", "ON_ERROR_STOP=1", "-q", "-t", "-A", "-c", sql]
        let output = Pipe()
        psql.standardError = output
        psql.standardOutput = output
        try psql.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        psql.waitUntilExit()
        return (psql.terminationStatus == 0, String(decoding: data, as: UTF8.self))
    }
}
