import Foundation
public import HookwayCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Why the spool did not take a record.
public struct SpoolError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// The spool is at `maxBytes`: answer 503 and let the provider retry.
    public var isFull: Bool
    public var description: String { message }
}

/// The local, append-only, checksummed log that makes an event durable while Kafka does not
/// acknowledge: segment files `NNNNNNNNNNNNNNNN.seg` in `spool.path`. Appends are fsync'ed
/// with group commit (concurrent appends share one fsync) before `append` returns, unless
/// `fsync` is `batch`.
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
    let maxBytes: Int64
    let fsyncMode: SpoolSettings.FsyncMode
    let segmentBytes: Int64
    private var sealed: [Segment] = []
    private var active: Segment
    private var fd: Int32
    private var written = 0
    private var synced = 0
    private var syncing = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Opens the spool directory; segments left by a previous run are kept for draining.
    public init(settings: SpoolSettings, segmentBytes: Int64 = 64 << 20) throws {
        directory = settings.path
        maxBytes = settings.maxBytes
        fsyncMode = settings.fsync
        self.segmentBytes = segmentBytes
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var existing: [Segment] = []
        for name in (try FileManager.default.contentsOfDirectory(atPath: directory)).sorted() where name.hasSuffix(".seg") {
            guard let seq = UInt64(name.dropLast(4)) else { continue }
            let path = "\(directory)/\(name)"
            let bytes = FileManager.default.contents(atPath: path).map(Array.init) ?? []
            let decoded = SpoolRecord.decodeAll(bytes)
            if decoded.records.isEmpty {
                try? FileManager.default.removeItem(atPath: path)
                continue
            }
            existing.append(Segment(sequence: seq, bytes: Int64(bytes.count), events: decoded.records.count,
                                    oldest: decoded.records.first?.record.spooledAt, path: path))
        }
        sealed = existing
        let next = (existing.last?.sequence ?? 0) + 1
        let path = String(format: "%@/%016llu.seg", directory, next)
        let newFD = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard newFD >= 0 else { throw SpoolError(message: "cannot open \(path): errno \(errno)", isFull: false) }
        fd = newFD
        active = Segment(sequence: next, bytes: 0, events: 0, oldest: nil, path: path)
    }

    /// Spooled bytes, events and the oldest event's time.
    public var stats: Stats {
        let all = sealed + [active]
        return Stats(bytes: all.reduce(0) { $0 + $1.bytes }, events: all.reduce(0) { $0 + $1.events },
                     oldestSpooledAt: all.compactMap(\.oldest).min())
    }

    /// True when another record of `size` bytes fits.
    public func hasRoom(for size: Int) -> Bool { stats.bytes + Int64(size) <= maxBytes }

    /// Appends and (with `fsync: always`) returns only once the record is on stable storage.
    public func append(_ record: SpoolRecord) async throws(SpoolError) {
        let bytes = record.encoded()
        guard hasRoom(for: bytes.count) else {
            throw SpoolError(message: "spool is full (\(maxBytes) bytes)", isFull: true)
        }
        if active.bytes > 0, active.bytes + Int64(bytes.count) > segmentBytes { await rotate() }
        // A write to the page cache; the fsync (the slow part) runs on the thread pool below.
        let ok = bytes.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
        guard ok else { throw SpoolError(message: "spool write failed: errno \(errno)", isFull: false) }
        active.bytes += Int64(bytes.count)
        active.events += 1
        if active.oldest == nil { active.oldest = record.spooledAt }
        written += 1
        let ticket = written
        if fsyncMode == .always { await waitSynced(ticket) }
    }

    /// Group commit: one fsync covers every write made before it started.
    private func waitSynced(_ ticket: Int) async {
        while synced < ticket {
            if syncing {
                await withCheckedContinuation { waiters.append($0) }
                continue
            }
            syncing = true
            let target = written
            let fd = self.fd
            _ = try? await NIOThreadPool.singleton.runIfActive { fsync(fd) }
            synced = max(synced, target)
            syncing = false
            let ready = waiters
            waiters = []
            for w in ready { w.resume() }
        }
    }

    /// Seals the active segment (fsync'ed and closed) and starts a new one.
    private func rotate() async {
        while syncing { await withCheckedContinuation { waiters.append($0) } }
        syncing = true
        let oldFD = fd
        let oldWritten = written
        let next = active.sequence + 1
        let path = String(format: "%@/%016llu.seg", directory, next)
        let newFD = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        if newFD >= 0 {
            fd = newFD
            sealed.append(active)
            active = Segment(sequence: next, bytes: 0, events: 0, oldest: nil, path: path)
        }
        _ = try? await NIOThreadPool.singleton.runIfActive { fsync(oldFD) }
        if newFD >= 0 { Glibc.close(oldFD) }
        synced = max(synced, oldWritten)
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

    /// Deletes a fully drained segment.
    public func remove(sequence: UInt64) {
        guard let index = sealed.firstIndex(where: { $0.sequence == sequence }) else { return }
        try? FileManager.default.removeItem(atPath: sealed[index].path)
        sealed.remove(at: index)
    }

    /// Reads a sealed segment's intact records.
    public nonisolated func read(path: String) async -> [SpoolRecord] {
        let bytes = (try? await NIOThreadPool.singleton.runIfActive { FileManager.default.contents(atPath: path).map(Array.init) ?? [] }) ?? []
        return SpoolRecord.decodeAll(bytes).records.map(\.record)
    }

    /// Fsyncs and closes the active segment.
    public func close() async {
        await waitSynced(written)
        Glibc.close(fd)
    }
}
