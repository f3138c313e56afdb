import Foundation
import HookwayCore
@testable import HookwayIngress
import Testing

struct SpoolRecordTests {
    static func record(_ i: Int) -> SpoolRecord {
        SpoolRecord(topics: ["a", "b.\(i)"], key: Array("key-\(i)".utf8), value: Array("{\"n\":\(i)}".utf8),
                    headers: [("ce_id", Array("id-\(i)".utf8)), ("empty", [])], spooledAt: 1_700_000_000_000 + Int64(i))
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
            drained += await reopened.read(path: segment.path)
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
}
