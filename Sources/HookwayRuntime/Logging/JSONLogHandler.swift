import Foundation
import HookwayCore
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// One JSON object per line on stderr: `ts`, `level`, `msg`, `logger`, then metadata fields.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(label: String) { self.label = label }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Written straight into one buffer (no tree, no dictionary merge when there is nothing to
    /// merge) and to stderr with one `write(2)`: the ingress writes a line per webhook (its audit
    /// trail), so the line must cost little, and it is not buffered, so none is lost on a crash.
    func log(event: LogEvent) {
        var w = JSONWriter(reservingCapacity: 384)
        w.appendRaw(Self.tsPrefix)
        w.appendString(Timestamp.now().rfc3339)
        w.appendRaw(Self.levelPrefix)
        w.appendString(event.level.rawValue)
        w.appendRaw(Self.msgPrefix)
        w.appendString("\(event.message)")
        w.appendRaw(Self.loggerPrefix)
        w.appendString(label)
        let provided = metadataProvider?.get() ?? [:]
        if metadata.isEmpty && provided.isEmpty {
            if let explicit = event.metadata { Self.append(explicit, to: &w) }
        } else {
            var merged = metadata
            merged.merge(provided) { $1 }
            if let explicit = event.metadata { merged.merge(explicit) { $1 } }
            Self.append(merged, to: &w)
        }
        w.appendRaw(Self.lineEnd)
        w.bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(2, base + offset, buffer.count - offset)
                if n <= 0 { break }  // nowhere to log to: the line is dropped, never the request
                offset += n
            }
        }
    }

    private static let tsPrefix = Array(#"{"ts":"#.utf8)
    private static let levelPrefix = Array(#","level":"#.utf8)
    private static let msgPrefix = Array(#","msg":"#.utf8)
    private static let loggerPrefix = Array(#","logger":"#.utf8)
    private static let lineEnd = Array("}\n".utf8)

    /// Metadata fields in key order, after the fixed ones.
    private static func append(_ metadata: Logger.Metadata, to w: inout JSONWriter) {
        for key in metadata.keys.sorted() {
            guard let value = metadata[key] else { continue }
            w.appendRaw(CollectionOfOne(UInt8(ascii: ",")))
            w.appendString(key)
            w.appendRaw(CollectionOfOne(UInt8(ascii: ":")))
            switch value {
            case .string(let text): w.appendString(text)
            case .stringConvertible(let convertible): w.appendString(convertible.description)
            default: w.append(json(value))
            }
        }
    }

    static func json(_ value: Logger.MetadataValue) -> JSONValue {
        switch value {
        case .string(let s): return .string(s)
        case .stringConvertible(let c): return .string(c.description)
        case .array(let items): return .array(items.map(json))
        case .dictionary(let d): return .object(d.keys.sorted().map { JSONMember($0, json(d[$0] ?? .string(""))) })
        }
    }
}
