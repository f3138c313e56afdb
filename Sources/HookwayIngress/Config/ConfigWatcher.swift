import Foundation
public import HookwayCore
public import Logging
import Metrics
public import ServiceLifecycle
import NIOConcurrencyHelpers
import UnixSignals

/// Reloads routes.json when it changes (checked every `interval`, which also works for bind
/// mounts and editors that replace the file) or on SIGHUP. A file that fails validation is
/// refused and logged; the config in force stays.
public struct ConfigWatcher: Service {
    let path: String
    let interval: Duration
    let logger: Logger
    let apply: @Sendable (RoutesConfig) -> Void

    public init(path: String, interval: Duration = .seconds(1), logger: Logger, apply: @escaping @Sendable (RoutesConfig) -> Void) {
        self.path = path
        self.interval = interval
        self.logger = logger
        self.apply = apply
    }

    struct Fingerprint: Equatable {
        var modified: Date?
        var size: Int?
        var inode: Int?
    }

    func fingerprint() -> Fingerprint {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        return Fingerprint(
            modified: attributes?[.modificationDate] as? Date,
            size: (attributes?[.size] as? NSNumber)?.intValue,
            inode: (attributes?[.systemFileNumber] as? NSNumber)?.intValue
        )
    }

    public func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let initial = fingerprint()
        try await withThrowingTaskGroup(of: Void.self) { group in
            let reloadRequests = AsyncStream<String>.makeStream()
            group.addTask {
                for await _ in hangups { reloadRequests.continuation.yield("SIGHUP") }
            }
            group.addTask {
                var last = initial
                while !Task.isCancelled {
                    try await Task.sleep(for: interval)
                    let now = fingerprint()
                    if now != last {
                        last = now
                        reloadRequests.continuation.yield("file changed")
                    }
                }
            }
            group.addTask {
                for await reason in reloadRequests.stream.cancelOnGracefulShutdown() {
                    reload(reason: reason)
                }
            }
            try await gracefulShutdown()
            reloadRequests.continuation.finish()
            group.cancelAll()
        }
    }

    /// Validates the file and applies it, or keeps the old config.
    public func reload(reason: String) {
        let result = RoutesConfigLoader.load(path: path)
        if let config = result.config {
            apply(config)
            Counter(label: "hookway_config_reloads_total", dimensions: [("result", "ok")]).increment()
            logger.info("routes reloaded", metadata: ["reason": "\(reason)", "summary": "\(config.summary)"])
        } else {
            Counter(label: "hookway_config_reloads_total", dimensions: [("result", "failed")]).increment()
            for problem in result.errors {
                logger.error("routes file refused; previous config stays in force", metadata: ["reason": "\(reason)", "problem": "\(problem)"])
            }
        }
    }
}
