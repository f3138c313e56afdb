import Foundation

/// Reads, validates and compiles routes.json.
///
/// ```swift
/// let result = RoutesConfigLoader.load(path: "routes.json", schema: schema)
/// guard let config = result.config else { result.errors.forEach { print($0) }; exit(1) }
/// ```
public enum RoutesConfigLoader {
    /// A config (when there are no errors) and every problem found, warnings included.
    public struct Result: Sendable {
        public var config: RoutesConfig?
        public var problems: [ConfigProblem]
        public var errors: [ConfigProblem] { problems.filter { $0.severity == .error } }
        public var warnings: [ConfigProblem] { problems.filter { $0.severity == .warning } }
    }

    static let topLevelKeys: Set<String> = ["version", "kafka", "limits", "spool", "sources", "routes", "sinks", "$comment"]

    /// Loads the file at `path`; `schema` names the providers and sink kinds it may use,
    /// `environment` resolves `env:` references.
    public static func load(path: String, schema: RoutesSchema, environment: [String: String]? = nil) -> Result {
        guard let data = FileManager.default.contents(atPath: path) else {
            return Result(config: nil, problems: [ConfigProblem("$", "cannot read \(path)")])
        }
        let base = (path as NSString).deletingLastPathComponent
        return parse(
            Array(data),
            schema: schema,
            baseDirectory: base.isEmpty ? "." : base,
            environment: environment ?? ProcessInfo.processInfo.environment
        )
    }

    /// Validates routes.json text. `file:` references resolve relative to `baseDirectory`.
    public static func parse(
        _ bytes: [UInt8],
        schema: RoutesSchema,
        baseDirectory: String = ".",
        environment: [String: String]? = nil
    ) -> Result {
        let root: JSONValue
        do {
            // Duplicates are kept so the reader can name them with their path.
            root = try JSONParser.parse(bytes, duplicates: .keep)
        } catch {
            return Result(config: nil, problems: [ConfigProblem("$", "not valid JSON: \(error)")])
        }
        var reader = ConfigReader(environment: environment ?? ProcessInfo.processInfo.environment, baseDirectory: baseDirectory)
        guard let members = reader.object(root, at: "$", allowed: topLevelKeys) else {
            return Result(config: nil, problems: reader.problems)
        }
        var config = RoutesConfig(
            version: 1,
            kafka: KafkaSettings(),
            limits: Limits(),
            spool: SpoolSettings(),
            sources: [:],
            sourceNames: [],
            routes: [],
            sinks: [:],
            sinkNames: []
        )
        if let v = root["version"] {
            if let n = reader.integer(v, at: "$.version", min: 1), n != 1 {
                reader.error("$.version", "unsupported version \(n); this Hookway reads version 1")
            }
        } else {
            reader.error("$.version", "missing; write \"version\": 1")
        }
        for m in members {
            switch m.key {
            case "kafka": config.kafka = reader.kafka(m.value, at: "$.kafka")
            case "limits": config.limits = reader.limits(m.value, at: "$.limits")
            case "spool": config.spool = reader.spool(m.value, at: "$.spool")
            case "sources":
                let (sources, names) = reader.sources(m.value, at: "$.sources", schema: schema)
                config.sources = sources
                config.sourceNames = names
            case "routes": config.routes = reader.routes(m.value, at: "$.routes")
            case "sinks":
                let (sinks, names) = reader.sinks(m.value, at: "$.sinks", schema: schema)
                config.sinks = sinks
                config.sinkNames = names
            default: break
            }
        }
        if root["sources"] == nil { reader.error("$.sources", "missing; a routes file needs at least one source") }
        reader.crossCheck(config)
        for name in config.sinkNames {
            guard let sink = config.sinks[name], let descriptor = schema.sinks[sink.kind.rawValue] else { continue }
            descriptor.crossCheck(sink, in: config, at: ConfigReader.child("$.sinks", name), reader: &reader)
        }
        reader.checkMessageSize(config)
        config.referencedFiles = reader.filesRead
        let failed = reader.problems.contains { $0.severity == .error }
        return Result(config: failed ? nil : config, problems: reader.problems)
    }
}
