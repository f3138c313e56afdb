import Foundation
public import HookwayCore
public import Logging
import Metrics
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Why the spool did not take (or give back) a record.
public struct SpoolError: HookwayError {
    /// `spool_full`, `spool_write_failed`, `spool_read_failed` or `spool_unavailable` (the
    /// directory cannot be created, written or locked).
    public var code: ErrorCode
    public var message: String
    /// The spool is at `maxBytes` (or its disk is): answer 503 and let the provider retry.
    public var isFull: Bool
    /// A write or fsync failed: what was written is not known to be on disk.
    public var isDurabilityFailure: Bool
    /// Every spool failure may clear (space freed, a disk back, a sync that succeeds).
    public var isRetriable: Bool { true }
    public var description: String { message }

    public init(code: ErrorCode? = nil, message: String, isFull: Bool = false, isDurabilityFailure: Bool = false) {
        self.code = code ?? (isFull ? .spoolFull : isDurabilityFailure ? .spoolWriteFailed : .spoolUnavailable)
        self.message = message
        self.isFull = isFull
        self.isDurabilityFailure = isDurabilityFailure
    }
}

extension ErrorCode {
    public static let spoolFull: ErrorCode = "spool_full"
    public static let spoolWriteFailed: ErrorCode = "spool_write_failed"
    public static let spoolReadFailed: ErrorCode = "spool_read_failed"
    public static let spoolUnavailable: ErrorCode = "spool_unavailable"
}

/// The local, append-only, checksummed log that makes an event durable while Kafka does not
/// acknowledge: segment files `NNNNNNNNNNNNNNNN-<instance>.seg` in `spool.path`. Appends are
/// fsync'ed with group commit (concurrent appends share one fsync) before `append` returns,
/// unless `fsync` is `batch`; the directory is fsync'ed whenever a segment is created or
/// removed, so a crash cannot forget a segment that answered 200s.
///
/// It never lies: a failed write or fsync fails every append it covered (503) and marks the
/// spool unhealthy until a later sync succeeds; a segment that cannot be read is kept and read
/// again later; bytes that are not intact records are copied to `quarantine/` before their
/// segment goes; a record Kafka refuses for good is moved there too, so it blocks nothing.
public actor Spool {
    public struct Stats: Sendable {
        public var bytes: Int64
        public var events: Int
        /// When the oldest spooled event was spooled (ms since epoch), if any.
        public var oldestSpooledAt: Int64?
    }

    struct Segment {
        var sequence: UInt64
        var bytes: Int64
        var events: Int
        var oldest: Int64?
        var path: String
    }

    let directory: String
    let quarantineDirectory: String
    let maxBytes: Int64
    let fsyncMode: SpoolSettings.FsyncMode
    let segmentBytes: Int64
    let logger: Logger
    /// A random tag in every segment name this process creates, so two processes sharing a
    /// directory by mistake never write the same file.
    let instance: String
    private var sealed: [Segment] = []
    private var active: Segment
    private var fd: Int32
    /// Holds the directory's `flock` for this process's lifetime.
    private let lockFD: Int32
    private var closed = false
    private var written = 0
    private var synced = 0
    /// The highest ticket a failed fsync covered: those appends are not durable.
    private var failedThrough = 0
    private var syncing = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    /// False from a failed write/fsync until the next successful one.
    public private(set) var isHealthy = true

    static let corruptCounter = Counter(label: "hookway_spool_corrupt_records_total")
    static let rejectedCounter = Counter(label: "hookway_spool_rejected_total")
    static let fsyncFailures = Counter(label: "hookway_spool_fsync_failures_total")
    static let healthGauge = Gauge(label: "hookway_spool_healthy")

    /// Opens the spool directory; segments left by a previous run are kept for draining.
    /// Throws when `directory` cannot be created or written by this process (checked by
    /// creating and removing a probe file, which also catches read-only mounts).
    public static func checkWritable(_ directory: String) throws(SpoolError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw SpoolError(
                message: "\(directory) cannot be created by this process (uid \(getuid())): \(error.localizedDescription)",
                isFull: false
            )
        }
        let probe = "\(directory)/.probe-\(getpid())"
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw SpoolError(
                message: "\(directory) is not writable by this process (uid \(getuid())): \(String(cString: strerror(errno)))",
                isFull: false
            )
        }
        Glibc.close(fd)
        unlink(probe)
    }

    public init(settings: SpoolSettings, segmentBytes: Int64 = 64 << 20, logger: Logger = Logger(label: "hookway.spool")) throws {
        directory = settings.path
        quarantineDirectory = settings.path + "/quarantine"
        maxBytes = settings.maxBytes
        fsyncMode = settings.fsync
        self.segmentBytes = segmentBytes
        self.logger = logger
        instance = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard access(directory, W_OK) == 0 else {
            throw SpoolError(
                message: "\(directory) is not writable by this process (uid \(getuid())): \(String(cString: strerror(errno)))",
                isFull: false
            )
        }
        // One process per spool directory: another's segments (even its empty active one)
        // must never be read as ours, or deleted.
        let lockFD = open(directory + "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lockFD >= 0 else { throw SpoolError(message: "cannot create \(directory)/.lock: \(String(cString: strerror(errno)))", isFull: false) }
        guard flock(lockFD, LOCK_EX | LOCK_NB) == 0 else {
            Glibc.close(lockFD)
            throw SpoolError(message: "\(directory) is in use by another hookway serve; give each replica its own spool.path", isFull: false)
        }
        self.lockFD = lockFD
        var existing: [Segment] = []
        for name in (try FileManager.default.contentsOfDirectory(atPath: directory)).sorted() where name.hasSuffix(".seg") {
            guard let seq = Self.sequence(of: name) else { continue }
            let path = "\(directory)/\(name)"
            guard let data = FileManager.default.contents(atPath: path) else {
                // Unreadable now is not empty: keep it, the drainer tries again.
                logger.error("spool segment cannot be read; kept for a later attempt", metadata: ["segment": "\(path)"])
                existing.append(Segment(sequence: seq, bytes: 0, events: 1, oldest: nil, path: path))
                continue
            }
            let bytes = Array(data)
            let scanned = SpoolRecord.scan(bytes)
            if scanned.records.isEmpty {
                if !bytes.isEmpty {
                    Self.quarantine(bytes[...], name: "\(name).corrupt", in: quarantineDirectory, logger: logger)
                    Self.corruptCounter.increment()
                    logger.error(
                        "spool segment holds no intact record; moved to quarantine",
                        metadata: ["segment": "\(path)", "bytes": "\(bytes.count)"]
                    )
                } else {
                    logger.debug("empty spool segment removed", metadata: ["segment": "\(path)"])
                }
                try? FileManager.default.removeItem(atPath: path)
                continue
            }
            existing.append(
                Segment(
                    sequence: seq,
                    bytes: Int64(bytes.count),
                    events: scanned.records.count,
                    oldest: scanned.records.first?.record.spooledAt,
                    path: path
                )
            )
        }
        sealed = existing
        let next = (existing.map(\.sequence).max() ?? 0) + 1
        let path = Self.segmentPath(directory, next, instance)
        let newFD = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard newFD >= 0 else { throw SpoolError(message: "cannot create \(path): \(String(cString: strerror(errno)))", isFull: false) }
        fd = newFD
        active = Segment(sequence: next, bytes: 0, events: 0, oldest: nil, path: path)
        Self.syncDirectory(directory)
        Self.healthGauge.record(1)
    }

    static func segmentPath(_ directory: String, _ sequence: UInt64, _ instance: String) -> String {
        String(format: "%@/%016llu-%@.seg", directory, sequence, instance)
    }

    /// `0000000000000042-1a2b.seg` (this version) or `0000000000000042.seg` (earlier ones).
    static func sequence(of name: String) -> UInt64? {
        UInt64(name.dropLast(4).prefix { $0 != "-" })
    }

    /// Spooled bytes, events and the oldest event's time.
    public var stats: Stats {
        let all = sealed + [active]
        return Stats(
            bytes: all.reduce(0) { $0 + $1.bytes },
            events: all.reduce(0) { $0 + $1.events },
            oldestSpooledAt: all.compactMap(\.oldest).min()
        )
    }

    /// True when another record of `size` bytes fits.
    public func hasRoom(for size: Int) -> Bool { stats.bytes + Int64(size) <= maxBytes }

    /// Appends and (with `fsync: always`) returns only once the record is on stable storage;
    /// throws when it is not (a failed write or fsync: the caller must not acknowledge).
    public func append(_ record: SpoolRecord) async throws(SpoolError) {
        let bytes = record.encoded()
        guard hasRoom(for: bytes.count) else {
            throw SpoolError(message: "spool is full (\(maxBytes) bytes)", isFull: true)
        }
        if active.bytes > 0, active.bytes + Int64(bytes.count) > segmentBytes { await rotate() }
        // A write to the page cache; the fsync (the slow part) runs on the thread pool below.
        var failure: Int32 = 0
        let ok = bytes.withUnsafeBytes { buffer -> Bool in
            guard let base = buffer.baseAddress else { return true }
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, base + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return false
                }
                offset += n
            }
            return true
        }
        guard ok else {
            markUnhealthy("write failed: \(String(cString: strerror(failure)))")
            // A partial record may be on disk: the reader skips it (CRC) and quarantines it.
            active.bytes += Int64(bytes.count)
            throw SpoolError(
                message: "spool write failed: \(String(cString: strerror(failure)))",
                isFull: failure == ENOSPC,
                isDurabilityFailure: true
            )
        }
        active.bytes += Int64(bytes.count)
        active.events += 1
        if active.oldest == nil { active.oldest = record.spooledAt }
        written += 1
        let ticket = written
        guard fsyncMode == .always else { return }
        if let error = await waitSynced(ticket) {
            throw SpoolError(message: "spool fsync failed: \(error)", isFull: false, isDurabilityFailure: true)
        }
    }

    private func markUnhealthy(_ why: String) {
        if isHealthy { logger.error("spool unhealthy: nothing is acknowledged from it until a sync succeeds", metadata: ["reason": "\(why)"]) }
        isHealthy = false
        Self.healthGauge.record(0)
    }

    private func markHealthy() {
        if !isHealthy { logger.notice("spool healthy again") }
        isHealthy = true
        Self.healthGauge.record(1)
    }

    /// Group commit: one fsync covers every write made before it started. Returns the error
    /// when the fsync that covered `ticket` failed.
    private func waitSynced(_ ticket: Int) async -> String? {
        while synced < ticket {
            if failedThrough >= ticket { return "an earlier fsync of this segment failed" }
            if syncing {
                await withCheckedContinuation { waiters.append($0) }
                continue
            }
            syncing = true
            let target = written
            let fd = self.fd
            let result = (try? await NIOThreadPool.singleton.runIfActive { () -> Int32 in fsync(fd) == 0 ? 0 : errno }) ?? EIO
            finishSync(result: result, through: target, healthyOnSuccess: true)
            if result != 0, failedThrough >= ticket { return String(cString: strerror(result)) }
        }
        return nil
    }

    /// While unhealthy, tries an fsync of the active segment: the spool is healthy again (and
    /// `/readyz` with it) once one succeeds. The appends a failed fsync covered stay failed.
    public func probeHealth() async {
        guard !isHealthy, !syncing else { return }
        syncing = true
        let fd = self.fd
        let result = (try? await NIOThreadPool.singleton.runIfActive { () -> Int32 in fsync(fd) == 0 ? 0 : errno }) ?? EIO
        if result == 0 { markHealthy() }
        syncing = false
        let ready = waiters
        waiters = []
        for w in ready { w.resume() }
    }

    /// Seals the active segment (fsync'ed and closed) and starts a new one.
    private func rotate() async {
        while syncing { await withCheckedContinuation { waiters.append($0) } }
        syncing = true
        let oldFD = fd
        let oldWritten = written
        let next = active.sequence + 1
        let path = Self.segmentPath(directory, next, instance)
        let newFD = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        if newFD >= 0 {
            fd = newFD
            sealed.append(active)
            active = Segment(sequence: next, bytes: 0, events: 0, oldest: nil, path: path)
        } else {
            markUnhealthy("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        let directory = self.directory
        // A thread pool that no longer runs work is an fsync that did not happen: EIO, a failure.
        let result =
            (try? await NIOThreadPool.singleton.runIfActive { () -> Int32 in
                let r = fsync(oldFD) == 0 ? 0 : errno
                Self.syncDirectory(directory)
                return r
            }) ?? EIO
        if newFD >= 0 { Glibc.close(oldFD) }
        finishSync(result: result, through: oldWritten, healthyOnSuccess: false)
    }

    /// Records an fsync's outcome for the bytes through `offset` (`result`: 0 or an errno) and
    /// wakes every append waiting for it.
    private func finishSync(result: Int32, through offset: Int, healthyOnSuccess: Bool) {
        if result == 0 {
            synced = max(synced, offset)
            if healthyOnSuccess { markHealthy() }
        } else {
            failedThrough = max(failedThrough, offset)
            Self.fsyncFailures.increment()
            markUnhealthy("fsync: \(String(cString: strerror(result)))")
        }
        syncing = false
        let ready = waiters
        waiters = []
        for w in ready { w.resume() }
    }

    /// The oldest sealed segment to drain, sealing the active one first when nothing else is left.
    public func nextSegmentToDrain() async -> (sequence: UInt64, path: String)? {
        if sealed.isEmpty, active.events > 0 { await rotate() }
        return sealed.first.map { ($0.sequence, $0.path) }
    }

    /// Deletes a fully drained segment (and fsyncs the directory).
    public func remove(sequence: UInt64) async {
        guard let index = sealed.firstIndex(where: { $0.sequence == sequence }) else { return }
        let path = sealed[index].path
        sealed.remove(at: index)
        let directory = self.directory
        // Every record in it is in Kafka (or quarantined): a segment left behind is only drained
        // again (same event ids), but it must not go unnoticed.
        let failure: String?
        do {
            failure = try await NIOThreadPool.singleton.runIfActive { () -> String? in
                defer { Self.syncDirectory(directory) }
                do {
                    try FileManager.default.removeItem(atPath: path)
                    return nil
                } catch {
                    return "\(error)"
                }
            }
        } catch {
            failure = "\(error)"
        }
        if let failure {
            logger.error(
                "drained spool segment could not be removed; it will be drained again",
                metadata: ["segment": "\(path)", "error": "\(failure)"]
            )
        }
    }

    /// A sealed segment's intact records, in order. Bytes between them that are not records
    /// (a torn write, corruption) are copied to the quarantine first, with an error log line
    /// and `hookway_spool_corrupt_records_total`. Throws when the file cannot be read now (it
    /// is kept and read again later).
    public nonisolated func read(path: String) async throws(SpoolError) -> [SpoolRecord] {
        let quarantine = quarantineDirectory
        let logger = self.logger
        let outcome: Result<[SpoolRecord], SpoolError>
        do {
            outcome = try await NIOThreadPool.singleton.runIfActive { () -> Result<[SpoolRecord], SpoolError> in
                guard let data = FileManager.default.contents(atPath: path) else {
                    return .failure(
                        SpoolError(code: .spoolReadFailed, message: "cannot read \(path): \(String(cString: strerror(errno)))", isFull: false)
                    )
                }
                let bytes = Array(data)
                let scanned = SpoolRecord.scan(bytes)
                let name = (path as NSString).lastPathComponent
                for gap in scanned.gaps {
                    // Not copied, not deleted: the segment stays until its bytes are safe.
                    guard Self.quarantine(bytes[gap], name: "\(name)-\(gap.lowerBound).corrupt", in: quarantine, logger: logger) else {
                        return .failure(SpoolError(code: .spoolReadFailed, message: "cannot quarantine corrupt bytes of \(path)", isFull: false))
                    }
                    Self.corruptCounter.increment()
                    logger.error(
                        "corrupt spool bytes moved to quarantine",
                        metadata: [
                            "segment": "\(path)", "offset": "\(gap.lowerBound)", "bytes": "\(gap.count)",
                        ]
                    )
                }
                return .success(scanned.records.map(\.record))
            }
        } catch {
            outcome = .failure(SpoolError(code: .spoolReadFailed, message: "cannot read \(path): \(error)", isFull: false))
        }
        return try outcome.get()
    }

    /// Moves a record Kafka refuses for good out of the way: its encoded bytes go to the
    /// quarantine (for an operator: `hookway_spool_rejected_total`, an error log line), so the
    /// records after it drain.
    /// Returns false when the quarantine cannot be written (the record must then stay).
    public nonisolated func reject(_ record: SpoolRecord, segment: String, index: Int, reason: String) async -> Bool {
        let quarantine = quarantineDirectory
        let logger = self.logger
        let name = "\((segment as NSString).lastPathComponent)-\(index).rejected"
        // Not saved (the pool stopped, a write failed) keeps the record in its segment.
        let saved =
            (try? await NIOThreadPool.singleton.runIfActive { () -> Bool in
                let note = "topics: \(record.topics.joined(separator: ","))\nreason: \(reason)\nspooledAt: \(record.spooledAt)\n"
                guard Self.quarantine(record.encoded()[...], name: name, in: quarantine, logger: logger) else { return false }
                // The note only explains the record to an operator; the record is what must be saved.
                _ = FileManager.default.createFile(atPath: "\(quarantine)/\(name).txt", contents: Data(note.utf8))
                return true
            }) ?? false
        guard saved else { return false }
        Self.rejectedCounter.increment()
        logger.error(
            "spooled event refused by Kafka for good; moved to quarantine",
            metadata: [
                "file": "\(quarantine)/\(name)", "reason": "\(reason)", "topics": "\(record.topics.joined(separator: ","))",
            ]
        )
        return true
    }

    /// Fsyncs and closes the active segment, and releases the directory.
    public func close() async {
        _ = await waitSynced(written)
        Glibc.close(fd)
        Glibc.close(lockFD)
        closed = true
    }

    deinit {
        if !closed {
            Glibc.close(fd)
            Glibc.close(lockFD)
        }
    }

    /// Writes `bytes` to `directory/name`, durably; false (with a critical log line) when it
    /// cannot — then the caller keeps the original instead.
    @discardableResult
    static func quarantine(_ bytes: ArraySlice<UInt8>, name: String, in directory: String, logger: Logger) -> Bool {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let path = "\(directory)/\(name)"
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw SpoolError(message: "cannot create \(path): \(String(cString: strerror(errno)))", isFull: false) }
            defer { Glibc.close(fd) }
            let ok = bytes.withUnsafeBytes { buffer -> Bool in
                guard let base = buffer.baseAddress else { return true }
                return write(fd, base, buffer.count) == buffer.count
            }
            guard ok, fsync(fd) == 0 else { throw SpoolError(code: .spoolWriteFailed, message: "cannot write \(path)", isFull: false) }
            syncDirectory(directory)
            return true
        } catch {
            logger.critical("cannot write to the spool quarantine", metadata: ["file": "\(directory)/\(name)", "error": "\(error)"])
            return false
        }
    }

    /// Makes a created or removed directory entry durable.
    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        Glibc.close(fd)
    }
}
