import Foundation
import HookwayCore
import Logging

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

    func log(event: LogEvent) {
        let level = event.level
        let message = event.message
        let explicit = event.metadata
        var members: [JSONMember] = [
            JSONMember("ts", .string(Timestamp.now().rfc3339)),
            JSONMember("level", .string(level.rawValue)),
            JSONMember("msg", .string("\(message)")),
            JSONMember("logger", .string(label)),
        ]
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = explicit { merged.merge(extra) { $1 } }
        for key in merged.keys.sorted() {
            if let value = merged[key] { members.append(JSONMember(key, Self.json(value))) }
        }
        var bytes = JSONWriter.encode(.object(members))
        bytes.append(0x0A)
        FileHandle.standardError.write(Data(bytes))
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
