import Foundation
public import HookwayCore
public import Logging
import Metrics
import NIOConcurrencyHelpers
public import ServiceLifecycle
import UnixSignals

/// Reloads routes.json when it or a file its `file:` references read changes (a rotated
/// secret, Bitso's saved key list; checked every `interval`, which also works for bind
/// mounts and editors that replace the file) or on SIGHUP. A file that fails validation is
/// refused and logged; the config in force stays.
public struct ConfigWatcher: Service {
    let path: String
    let schema: RoutesSchema
    let interval: Duration
    let logger: Logger
    let apply: @Sendable (RoutesConfig) -> Void

    /// The referenced files of the config in force, watched beside `path`.
    let referencedFiles = NIOLockedValueBox<[String]>([])

    /// `watching` are the referenced files of the config the caller started with
    /// (`RoutesConfig.referencedFiles`).
    public init(
        path: String,
        schema: RoutesSchema = .hookway,
        watching files: [String] = [],
        interval: Duration = .seconds(1),
        logger: Logger,
        apply: @escaping @Sendable (RoutesConfig) -> Void
    ) {
        referencedFiles.withLockedValue { $0 = files }
        _ = Self.reloads
        self.path = path
        self.schema = schema
        self.interval = interval
        self.logger = logger
        self.apply = apply
    }

    struct Fingerprint: Equatable {
        var modifiedNanoseconds: Int?
        var size: Int?
        var inode: UInt?
    }

    /// By path; a file that became referenced by the last reload is not itself a change.
    func fingerprint() -> [String: Fingerprint] {
        var out: [String: Fingerprint] = [:]
        for file in [path] + referencedFiles.withLockedValue({ $0 }) { out[file] = Self.fingerprint(of: file) }
        return out
    }

    static func changed(from last: [String: Fingerprint], to now: [String: Fingerprint]) -> Bool {
        now.contains { file, print in last[file].map { $0 != print } ?? false }
    }

    /// `stat`, which follows symbolic links: Kubernetes updates a mounted ConfigMap or Secret by
    /// swapping the `..data` link its files point through, which changes nothing about the
    /// links themselves.
    static func fingerprint(of path: String) -> Fingerprint {
        var info = stat()
        guard stat(path, &info) == 0 else { return Fingerprint() }
        return Fingerprint(
            // A fingerprint only: wrapping (an mtime past 2262) is harmless, trapping is not.
            modifiedNanoseconds: Int(info.st_mtim.tv_sec) &* 1_000_000_000 &+ Int(info.st_mtim.tv_nsec),
            size: Int(info.st_size),
            inode: UInt(info.st_ino)
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
                    let changed = Self.changed(from: last, to: now)
                    last = now
                    if changed { reloadRequests.continuation.yield("file changed") }
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

    /// `hookway_config_reloads_total{result}`, both series from the start: an alert's
    /// `increase()` sees the first refused reload only if the series was at 0 before it.
    static let reloads = (
        ok: Counter(label: "hookway_config_reloads_total", dimensions: [("result", "ok")]),
        failed: Counter(label: "hookway_config_reloads_total", dimensions: [("result", "failed")])
    )

    /// Validates the file and applies it, or keeps the old config.
    public func reload(reason: String) {
        let result = RoutesConfigLoader.load(path: path, schema: schema)
        if let config = result.config {
            referencedFiles.withLockedValue { $0 = config.referencedFiles }
            apply(config)
            Self.reloads.ok.increment()
            logger.info("routes reloaded", metadata: ["reason": "\(reason)", "summary": "\(config.summary)"])
        } else {
            Self.reloads.failed.increment()
            for problem in result.errors {
                logger.error("routes file refused; previous config stays in force", metadata: ["reason": "\(reason)", "problem": "\(problem)"])
            }
        }
    }
}
