import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Spawns helper processes (the Tansu broker) that die with the test process.
///
/// Each child is started through `setpriv --pdeathsig KILL`, so the kernel SIGKILLs it when its
/// parent goes away, however the test process ends (crash, SIGKILL, timeout). The death signal
/// fires when the *thread* that spawned the child exits, so spawning happens on one thread that
/// lives as long as the process, never on a cooperative-pool thread that may be retired.
enum ChildProcess {
    struct SpawnError: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts `executable` with `arguments`, stdout and stderr appended to `logPath`.
    static func spawn(_ executable: String, _ arguments: [String], logPath: String) throws -> pid_t {
        try SpawnerThread.shared.run {
            try spawnHere(executable, arguments, logPath: logPath)
        }
    }

    private static func spawnHere(_ executable: String, _ arguments: [String], logPath: String) throws -> pid_t {
        let setpriv = "/usr/bin/setpriv"
        let argv: [String] =
            FileManager.default.isExecutableFile(atPath: setpriv)
            ? [setpriv, "--pdeathsig", "KILL", "--", executable] + arguments
            : [executable] + arguments
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var cArguments = argv.map { strdup($0) }
        defer { cArguments.forEach { free($0) } }
        cArguments.append(nil)
        var pid: pid_t = 0
        let result = posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ)
        guard result == 0 else {
            throw SpawnError(description: "posix_spawn \(argv[0]) failed: \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// Sends `signal`; returns false if the process no longer exists.
    @discardableResult
    static func signal(_ pid: pid_t, _ signal: Int32) -> Bool {
        Glibc.kill(pid, signal) == 0
    }

    /// Waits up to `timeout` for the child to exit and reaps it; returns whether it exited.
    static func waitForExit(_ pid: pid_t, timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid || (result == -1 && errno == ECHILD) { return true }
            if ContinuousClock.now >= deadline { return false }
            usleep(10_000)
        }
    }
}

/// A thread that lives for the whole process and runs spawn requests one at a time.
///
/// `@unchecked Sendable`: `jobs` is only touched while holding `condition`.
private final class SpawnerThread: @unchecked Sendable {
    static let shared = SpawnerThread()

    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []

    private init() {
        let thread = Thread { [unowned self] in self.serve() }
        thread.name = "hookway.testing.spawner"
        thread.start()
    }

    /// Runs `body` on the spawner thread and waits for it (a spawn takes a few milliseconds).
    func run<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) throws -> Value {
        let outcome = Locked<Result<Value, any Error>?>(nil)
        let finished = DispatchSemaphore(value: 0)
        condition.lock()
        jobs.append {
            let result = Result { try body() }
            outcome.withLock { $0 = result }
            finished.signal()
        }
        condition.signal()
        condition.unlock()
        finished.wait()
        guard let result = outcome.withLock({ $0 }) else {
            throw ChildProcess.SpawnError(description: "the spawner thread returned no result")
        }
        return try result.get()
    }

    private func serve() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let batch = jobs
            jobs.removeAll()
            condition.unlock()
            batch.forEach { $0() }
        }
    }
}
