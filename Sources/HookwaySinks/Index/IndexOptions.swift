public import HookwayCore

/// Options of an `index` sink: where the index lives and how long it keeps events.
///
/// ```json
/// { "kind": "index", "topics": ["hookway.outcomes", "payments.deposits"],
///   "database": "sqlite:var/index.sqlite", "retentionDays": 30 }
/// ```
public struct IndexOptions: Sendable {
    /// `sqlite:PATH`, `postgres://…`, or `env:`/`file:` holding one (default `sqlite:var/index.sqlite`).
    public var database: LedgerOptions.Database
    /// Events received longer ago are deleted with their outcomes (default 30 days).
    public var retentionDays = 30
    /// Most records written in one transaction (default 512).
    public var batchSize = 512

    /// Parses and validates the options of `sink`.
    public static func parse(_ sink: SinkConfig) -> (IndexOptions?, [ConfigProblem]) {
        var reader = ConfigReader(environment: [:], baseDirectory: sink.baseDirectory) { _ in nil }
        let options = reader.indexOptions(sink.options, at: "$.sinks.\(sink.name)", baseDirectory: sink.baseDirectory)
        return (reader.problems.isEmpty ? options : nil, reader.problems)
    }
}

extension ConfigReader {
    mutating func indexOptions(_ value: JSONValue, at path: String, baseDirectory: String) -> IndexOptions {
        var options = IndexOptions(database: .sqlite(path: baseDirectory + "/var/index.sqlite"))
        if let v = value["database"], let database = database(v, at: "\(path).database", baseDirectory: baseDirectory) {
            options.database = database
        }
        if let v = value["retentionDays"], let n = integer(v, at: "\(path).retentionDays", min: 1, max: 36_500) { options.retentionDays = n }
        if let v = value["batchSize"], let n = integer(v, at: "\(path).batchSize", min: 1, max: 10_000) { options.batchSize = n }
        return options
    }
}
