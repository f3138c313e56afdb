/// One spooled event: the topics it must reach and the Kafka message (key, value, headers).
///
/// On disk: `magic "HWS1" | u32 payload length | u32 CRC-32 of payload | payload`, all
/// little-endian; the payload is length-prefixed fields. A record whose checksum does not
/// match (a torn write at a crash) is skipped; reading resumes at the next magic.
public struct SpoolRecord: Sendable, Equatable {
    public var topics: [String]
    public var key: [UInt8]
    public var value: [UInt8]
    public var headers: [(String, [UInt8])]
    /// Milliseconds since the epoch when it was spooled.
    public var spooledAt: Int64

    public static func == (a: SpoolRecord, b: SpoolRecord) -> Bool {
        a.topics == b.topics && a.key == b.key && a.value == b.value && a.spooledAt == b.spooledAt
            && a.headers.map(\.0) == b.headers.map(\.0) && a.headers.map(\.1) == b.headers.map(\.1)
    }

    static let magic: [UInt8] = Array("HWS1".utf8)
    static let headerSize = 12
    /// Larger records are refused as corrupt rather than allocated.
    static let maxPayload = 64 << 20

    public init(topics: [String], key: [UInt8], value: [UInt8], headers: [(String, [UInt8])], spooledAt: Int64) {
        self.topics = topics
        self.key = key
        self.value = value
        self.headers = headers
        self.spooledAt = spooledAt
    }

    /// The framed bytes to append.
    public func encoded() -> [UInt8] {
        var payload: [UInt8] = []
        payload.reserveCapacity(value.count + key.count + 256)
        Self.append64(spooledAt, to: &payload)
        Self.append32(UInt32(topics.count), to: &payload)
        for t in topics { Self.appendBytes(Array(t.utf8), to: &payload) }
        Self.appendBytes(key, to: &payload)
        Self.appendBytes(value, to: &payload)
        Self.append32(UInt32(headers.count), to: &payload)
        for (k, v) in headers {
            Self.appendBytes(Array(k.utf8), to: &payload)
            Self.appendBytes(v, to: &payload)
        }
        var out = Self.magic
        Self.append32(UInt32(payload.count), to: &out)
        Self.append32(CRC32.checksum(payload), to: &out)
        out += payload
        return out
    }

    /// Decodes every intact record in `bytes`, skipping torn or corrupt ones (resuming at the
    /// next magic). Returns the records with their end offsets and the number of bytes skipped.
    public static func decodeAll(_ bytes: [UInt8]) -> (records: [(record: SpoolRecord, end: Int)], skippedBytes: Int) {
        let scanned = scan(bytes)
        return (scanned.records.map { ($0.record, $0.range.upperBound) }, scanned.gaps.reduce(0) { $0 + $1.count })
    }

    /// The intact records with their byte ranges, and the ranges between them that are not
    /// records (torn writes, corruption) — what the spool copies to its quarantine.
    public static func scan(_ bytes: [UInt8]) -> (records: [(record: SpoolRecord, range: Range<Int>)], gaps: [Range<Int>]) {
        var out: [(SpoolRecord, Range<Int>)] = []
        var gaps: [Range<Int>] = []
        var gapStart: Int?
        var i = 0
        while i + headerSize <= bytes.count {
            if bytes[i..<(i + 4)].elementsEqual(magic) {
                let length = Int(read32(bytes, i + 4))
                let crc = read32(bytes, i + 8)
                let start = i + headerSize
                if length <= maxPayload, start + length <= bytes.count,
                    CRC32.checksum(bytes[start..<(start + length)]) == crc,
                    let record = decodePayload(bytes[start..<(start + length)])
                {
                    if let g = gapStart { gaps.append(g..<i) }
                    gapStart = nil
                    out.append((record, i..<(start + length)))
                    i = start + length
                    continue
                }
            }
            if gapStart == nil { gapStart = i }
            i += 1
        }
        if i < bytes.count || gapStart != nil { gaps.append((gapStart ?? i)..<bytes.count) }
        return (out, gaps)
    }

    static func decodePayload(_ p: ArraySlice<UInt8>) -> SpoolRecord? {
        var i = p.startIndex
        func take(_ n: Int) -> ArraySlice<UInt8>? {
            guard n >= 0, i + n <= p.endIndex else { return nil }
            defer { i += n }
            return p[i..<(i + n)]
        }
        func u32() -> UInt32? { take(4).map { s in s.reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) } } }
        func bytes() -> [UInt8]? { u32().flatMap { take(Int($0)) }.map(Array.init) }
        guard let at = take(8).map({ s in s.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }),
            let topicCount = u32(), topicCount < 10_000
        else { return nil }
        var topics: [String] = []
        for _ in 0..<topicCount {
            guard let t = bytes() else { return nil }
            topics.append(String(decoding: t, as: UTF8.self))
        }
        guard let key = bytes(), let value = bytes(), let headerCount = u32(), headerCount < 10_000 else { return nil }
        var headers: [(String, [UInt8])] = []
        for _ in 0..<headerCount {
            guard let k = bytes(), let v = bytes() else { return nil }
            headers.append((String(decoding: k, as: UTF8.self), v))
        }
        return SpoolRecord(topics: topics, key: key, value: value, headers: headers, spooledAt: Int64(bitPattern: at))
    }

    static func append32(_ v: UInt32, to out: inout [UInt8]) {
        for s in stride(from: 0, to: 32, by: 8) { out.append(UInt8((v >> UInt32(s)) & 0xFF)) }
    }
    static func append64(_ v: Int64, to out: inout [UInt8]) {
        let u = UInt64(bitPattern: v)
        for s in stride(from: 0, to: 64, by: 8) { out.append(UInt8((u >> UInt64(s)) & 0xFF)) }
    }
    static func appendBytes(_ b: [UInt8], to out: inout [UInt8]) {
        append32(UInt32(b.count), to: &out)
        out += b
    }
    static func read32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }
}
