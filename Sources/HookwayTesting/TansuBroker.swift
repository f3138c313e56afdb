import Foundation
import HookwayKafka

#if canImport(Glibc)
import Glibc
#endif

/// A Tansu broker (Apache-Kafka-compatible, memory storage) run as a child process for tests.
///
/// Tests share one broker per process (``shared()``) and isolate themselves with UUID-named
/// topics (``withTestTopic(partitions:_:)``); fault tests start their own (``start()``) and
/// ``kill()``, ``pause()`` or ``restart()`` it. The child dies with the test process.
///
/// ```swift
/// let broker = try await TansuBroker.shared()
/// try await broker.withTestTopic(partitions: 3) { topic in
///     let producer = try KafkaProducer(
///         configuration: .init(bootstrapServers: broker.bootstrapServers), logger: logger)
///     ...
/// }
/// ```
public final class TansuBroker: Sendable {
    /// Why a broker could not be started.
    public struct StartError: Error, CustomStringConvertible {
        /// What went wrong.
        public var description: String
    }

    /// The loopback port the broker listens on (and advertises).
    public let port: Int
    /// Where the broker's stdout and stderr go.
    public let logPath: String
    private let executable: String
    private let pid: Locked<pid_t?>

    /// `127.0.0.1:<port>`
    public var bootstrapServers: String { "127.0.0.1:\(port)" }

    private init(executable: String, port: Int) {
        self.executable = executable
        self.port = port
        self.logPath = NSTemporaryDirectory() + "hookway-tansu-\(port).log"
        self.pid = Locked(nil)
    }

    /// Starts a new broker on a free port and returns once it answers a metadata request.
    public static func start() async throws -> TansuBroker {
        let broker = TansuBroker(executable: try locateExecutable(), port: try unusedPort())
        try await broker.launch()
        return broker
    }

    /// The broker shared by every test in this process, started on first use.
    public static func shared() async throws -> TansuBroker {
        let task = sharedBroker.withLock { existing in
            if let existing { return existing }
            let task = Task { try await TansuBroker.start() }
            existing = task
            return task
        }
        return try await task.value
    }

    /// Stops the broker: SIGTERM, then SIGKILL if it has not exited within two seconds.
    public func stop() {
        guard
            let pid = pid.withLock({ current in
                defer { current = nil }
                return current
            })
        else { return }
        ChildProcess.signal(pid, SIGCONT)
        ChildProcess.signal(pid, SIGTERM)
        if !ChildProcess.waitForExit(pid, timeout: .seconds(2)) {
            ChildProcess.signal(pid, SIGKILL)
            _ = ChildProcess.waitForExit(pid, timeout: .seconds(5))
        }
    }

    /// Crashes the broker (SIGKILL); with memory storage its data is gone.
    public func kill() {
        guard
            let pid = pid.withLock({ current in
                defer { current = nil }
                return current
            })
        else { return }
        ChildProcess.signal(pid, SIGKILL)
        _ = ChildProcess.waitForExit(pid, timeout: .seconds(5))
    }

    /// Freezes the broker (SIGSTOP): connections stay open but nothing is answered.
    public func pause() {
        if let pid = pid.withLock({ $0 }) { ChildProcess.signal(pid, SIGSTOP) }
    }

    /// Unfreezes a paused broker (SIGCONT).
    public func resume() {
        if let pid = pid.withLock({ $0 }) { ChildProcess.signal(pid, SIGCONT) }
    }

    /// Starts a fresh broker process on the same port (stopping the current one if it runs).
    public func restart() async throws {
        kill()
        try await launch()
    }

    /// Creates a UUID-named topic and passes its name to `body`.
    public func withTestTopic<Value>(
        partitions: Int32 = 1,
        _ body: (String) async throws -> Value
    ) async throws -> Value {
        try await body(try await createTestTopic(partitions: partitions))
    }

    /// Creates a UUID-named topic and returns its name.
    public func createTestTopic(partitions: Int32 = 1) async throws -> String {
        let topic = "test-\(UUID().uuidString.lowercased())"
        try await KafkaAdmin(bootstrapServers: bootstrapServers)
            .createTopics([topic], partitions: partitions, replicationFactor: 1, timeout: .seconds(10))
        return topic
    }

    private func launch() async throws {
        let url = "tcp://127.0.0.1:\(port)"
        let newPID = try ChildProcess.spawn(
            executable,
            ["broker", "--listener-url", url, "--advertised-listener-url", url],
            logPath: logPath
        )
        pid.withLock { $0 = newPID }
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if Self.acceptsConnections(port: port),
                await KafkaAdmin(bootstrapServers: bootstrapServers).isReachable(timeout: .seconds(2))
            {
                return
            }
            if ChildProcess.waitForExit(newPID, timeout: .zero) {
                pid.withLock { $0 = nil }
                throw StartError(description: "tansu exited during startup; see \(logPath)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        kill()
        throw StartError(description: "tansu did not become ready on port \(port) within 30 s; see \(logPath)")
    }
}

private let sharedBroker = Locked<Task<TansuBroker, any Error>?>(nil)
