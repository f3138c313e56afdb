import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `hookway` binary (debug) as a user would.
enum CLI {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static var binary: String { root.appendingPathComponent(".build/debug/hookway").path }

    /// The development secrets of config/dev.env.
    static var devEnvironment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        let text = (try? String(contentsOf: root.appendingPathComponent("config/dev.env"), encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            // dev.env's file: references are relative to the repository, like `make run`'s.
            let value = parts[1].hasPrefix("file:") && !parts[1].hasPrefix("file:/") ? "file:\(root.path)/\(parts[1].dropFirst(5))" : String(parts[1])
            env[String(parts[0])] = value
        }
        env["HOOKWAY_LOG_FORMAT"] = "json"
        return env
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(
        _ arguments: [String],
        environment: [String: String] = devEnvironment,
        directory: String? = nil,
        executable: String? = nil,
        shell: Bool = false
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: shell ? "/bin/bash" : executable ?? binary)
        process.arguments = arguments
        process.environment = environment
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self)
        )
    }

    /// Kills a subcommand started with ``start(_:environment:log:)`` if it still runs, and
    /// waits for it.
    static func kill(_ process: Process) {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Starts the CRM stand-in (scripts/crm-echo.py) on `port`, logging each request to `log`;
    /// the caller kills it.
    static func startCRMEcho(log: String, port: Int) throws -> Process {
        let crm = Process()
        crm.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        crm.arguments = ["python3", root.appendingPathComponent("scripts/crm-echo.py").path, log, "\(port)"]
        try crm.run()
        return crm
    }

    /// Starts a long-running subcommand; the caller kills it.
    static func start(_ arguments: [String], environment: [String: String] = devEnvironment, log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.environment = environment
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }
}
