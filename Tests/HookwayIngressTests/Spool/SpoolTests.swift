import Foundation
import HookwayCore
import HookwayTesting
import Testing

@testable import HookwayIngress

struct SpoolRecordTests {
    static func record(_ i: Int) -> SpoolRecord {
        SpoolRecord(
            topics: ["a", "b.\(i)"],
            key: Array("key-\(i)".utf8),
            value: Array("{\"n\":\(i)}".utf8),
            headers: [("ce_id", Array("id-\(i)".utf8)), ("empty", [])],
            spooledAt: 1_700_000_000_000 + Int64(i)
        )
    }

    @Test func roundTrip() {
        let bytes = (0..<10).flatMap { Self.record($0).encoded() }
        let decoded = SpoolRecord.decodeAll(bytes)
        #expect(decoded.records.map(\.record) == (0..<10).map(Self.record))
        #expect(decoded.skippedBytes == 0)
    }

    @Test func tornTailIsSkippedNotTheSegment() {
        var bytes = (0..<5).flatMap { Self.record($0).encoded() }
        bytes += Self.record(5).encoded().dropLast(7)
        let decoded = SpoolRecord.decodeAll(bytes)
        #expect(decoded.records.count == 5)
        #expect(decoded.skippedBytes > 0)
    }

    @Test func corruptRecordInTheMiddleIsSkippedAndReadingResumes() {
        var parts = (0..<5).map { Self.record($0).encoded() }
        parts[2][20] ^= 0xFF
        let decoded = SpoolRecord.decodeAll(parts.flatMap { $0 })
        #expect(decoded.records.map(\.record.spooledAt) == [0, 1, 3, 4].map { 1_700_000_000_000 + Int64($0) })
    }

    @Test func arbitraryBytesNeverCrash() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var bytes = (0..<Int.random(in: 0...300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if Bool.random(using: &generator) { bytes = SpoolRecord.magic + bytes }
            _ = SpoolRecord.decodeAll(bytes)
        }
    }
}

struct SpoolTests {
    static func settings() -> SpoolSettings {
        var s = SpoolSettings()
        s.enabled = true
        s.path = NSTemporaryDirectory() + "hookway-spool-\(UUID().uuidString)"
        s.maxBytes = 1 << 20
        return s
    }

    @Test func appendsSurviveRestartAndDrainInOrder() async throws {
        let settings = Self.settings()
        let spool = try Spool(settings: settings, segmentBytes: 4096)
        for i in 0..<100 { try await spool.append(SpoolRecordTests.record(i)) }
        #expect(await spool.stats.events == 100)
        await spool.close()
        // A new process finds everything.
        let reopened = try Spool(settings: settings, segmentBytes: 4096)
        #expect(await reopened.stats.events == 100)
        var drained: [SpoolRecord] = []
        while let segment = await reopened.nextSegmentToDrain() {
            drained += try await reopened.read(path: segment.path)
            await reopened.remove(sequence: segment.sequence)
        }
        #expect(drained == (0..<100).map(SpoolRecordTests.record))
        #expect(await reopened.stats.events == 0)
    }

    @Test func fullSpoolRefuses() async throws {
        var settings = Self.settings()
        settings.maxBytes = 1_048_576
        let spool = try Spool(settings: settings)
        let big = SpoolRecord(topics: ["t"], key: [], value: Array(repeating: 0x41, count: 300_000), headers: [], spooledAt: 0)
        try await spool.append(big)
        try await spool.append(big)
        try await spool.append(big)
        await #expect(throws: SpoolError.self) { try await spool.append(big) }
    }

    @Test func concurrentAppendsShareFsyncs() async throws {
        let spool = try Spool(settings: Self.settings())
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<2000 { group.addTask { try await spool.append(SpoolRecordTests.record(i)) } }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - started
        print("spool: 2000 concurrent fsync'ed appends in \(elapsed)")
        #expect(await spool.stats.events == 2000)
    }

    /// Issue 16 §3: corrupt bytes go to the quarantine (never silently skipped), a segment of
    /// nothing but garbage is quarantined whole at start, and the intact records still drain.
    @Test func corruptBytesAreQuarantinedAndIntactRecordsDrain() async throws {
        let settings = Self.settings()
        let spool = try Spool(settings: settings, segmentBytes: 1 << 20)
        for i in 0..<5 { try await spool.append(SpoolRecordTests.record(i)) }
        await spool.close()
        let segments = try FileManager.default.contentsOfDirectory(atPath: settings.path).filter { $0.hasSuffix(".seg") }
        let path = settings.path + "/" + (segments.first ?? "")
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let second = SpoolRecord.scan(bytes).records[2].range
        bytes[second.lowerBound + 20] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        try Data("garbage, not a record".utf8).write(to: URL(fileURLWithPath: settings.path + "/0000000000000000.seg"))
        let reopened = try Spool(settings: settings)
        var drained: [SpoolRecord] = []
        while let segment = await reopened.nextSegmentToDrain() {
            drained += try await reopened.read(path: segment.path)
            await reopened.remove(sequence: segment.sequence)
        }
        #expect(drained.map(\.spooledAt) == [0, 1, 3, 4].map { 1_700_000_000_000 + Int64($0) })
        let quarantined = try FileManager.default.contentsOfDirectory(atPath: settings.path + "/quarantine").sorted()
        #expect(quarantined.contains("0000000000000000.seg.corrupt"))
        #expect(quarantined.contains { $0.hasSuffix("-\(second.lowerBound).corrupt") }, "\(quarantined)")
        let kept = try Data(
            contentsOf: URL(
                fileURLWithPath: settings.path + "/quarantine/" + (quarantined.first { $0.hasSuffix("-\(second.lowerBound).corrupt") } ?? "")
            )
        )
        #expect(Array(kept) == Array(bytes[second]), "the corrupt record's bytes are kept as they were")
    }

    @Test func aSegmentThatCannotBeReadIsKept() async throws {
        let spool = try Spool(settings: Self.settings())
        await #expect(throws: SpoolError.self) { try await spool.read(path: "/nonexistent/0000000000000001.seg") }
    }

    @Test func rejectedRecordsAreMovedToTheQuarantineWithTheirReason() async throws {
        let settings = Self.settings()
        let spool = try Spool(settings: settings)
        let record = SpoolRecordTests.record(7)
        #expect(
            await spool.reject(record, segment: settings.path + "/0000000000000001-ab.seg", index: 3, reason: "TOPIC_AUTHORIZATION_FAILED: denied")
        )
        let file = settings.path + "/quarantine/0000000000000001-ab.seg-3.rejected"
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
        #expect(SpoolRecord.decodeAll(bytes).records.map(\.record) == [record])
        #expect(try String(contentsOfFile: file + ".txt", encoding: .utf8).contains("TOPIC_AUTHORIZATION_FAILED"))
    }

    @Test func segmentNamesCarryTheInstanceAndTheDirectoryIsLocked() async throws {
        let settings = Self.settings()
        try FileManager.default.createDirectory(atPath: settings.path, withIntermediateDirectories: true)
        try Data(SpoolRecordTests.record(1).encoded()).write(to: URL(fileURLWithPath: settings.path + "/0000000000000004.seg"))
        let a = try Spool(settings: settings)
        try await a.append(SpoolRecordTests.record(2))
        // A second process on the same directory is refused (it could delete a's segments).
        let error = #expect(throws: SpoolError.self) { try Spool(settings: settings) }
        #expect(error?.message.contains("in use by another hookway serve") == true)
        let names = try FileManager.default.contentsOfDirectory(atPath: settings.path).filter { $0.hasSuffix(".seg") }.sorted()
        #expect(names.count == 2 && names[1].hasPrefix("0000000000000005-"), "\(names)")
        await a.close()
        _ = try Spool(settings: settings)
        #expect(Spool.sequence(of: "0000000000000004.seg") == 4 && Spool.sequence(of: "0000000000000005-1f.seg") == 5)
    }

    /// Root bypasses permission bits, so a read-only spool is a read-only mount.
    @Test(.enabled(if: getuid() == 0, "needs root to mount a tmpfs"))
    func aReadOnlySpoolDirectoryRefusesToOpen() throws {
        let dir = NSTemporaryDirectory() + "hookway-ro-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        #expect(try ShellCommand.run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", dir]).status == 0)
        defer { _ = try? ShellCommand.run("/bin/umount", [dir]) }
        var settings = Self.settings()
        settings.path = dir
        let error = #expect(throws: SpoolError.self) { try Spool(settings: settings) }
        #expect(error?.message.contains(dir) == true)
    }
}
