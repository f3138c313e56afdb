import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `hookway serve` as a real child process (the debug binary), for faults that kill it.
struct ServeProcess {
    let process: Process

    static var binary: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/hookway").path
    }

    static func start(config: String, port: Int, brokers: String, log: String, environment: [String: String] = [:]) throws -> ServeProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--config", config, "--host", "127.0.0.1", "--port", "\(port)", "--brokers", brokers]
        var env = ProcessInfo.processInfo.environment
        for (k, v) in IngressHarness.environment { env[k] = v }
        env["HOOKWAY_LOG_FORMAT"] = "json"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        // Ready once the port accepts.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if Self.accepts(port: port) { return ServeProcess(process: process) }
            usleep(100_000)
        }
        process.terminate()
        throw HarnessError(message: "hookway serve did not listen on \(port); see \(log)")
    }

    /// SIGTERM, then waits for the exit; returns how long the graceful stop took.
    func terminate() -> Duration {
        let started = ContinuousClock.now
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        return ContinuousClock.now - started
    }

    /// SIGKILL: no graceful anything.
    func kill() {
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
