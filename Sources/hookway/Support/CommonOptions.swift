import ArgumentParser
import Foundation
import HookwayCore
import HookwayRuntime

/// `--config`, resolved as CONTRACT.md says: flag, then `HOOKWAY_CONFIG`, then `./routes.json`.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Path of routes.json (default: $HOOKWAY_CONFIG or ./routes.json).")
    var config: String?

    var path: String { config ?? ProcessInfo.processInfo.environment["HOOKWAY_CONFIG"] ?? "routes.json" }

    /// Loads and validates the file, or exits 1 printing one line per problem.
    func load() throws -> RoutesConfig {
        let result = RoutesConfigLoader.load(path: path)
        for warning in result.warnings { printError("\(path): \(warning)") }
        guard let config = result.config else {
            for problem in result.errors { printError("\(path): \(problem)") }
            throw ExitCode(1)
        }
        return config
    }
}

/// `--brokers`: flag, then `HOOKWAY_BROKERS`, then the file's `kafka.brokers`, then localhost:9092.
struct BrokersOption: ParsableArguments {
    @Option(name: .long, help: "Kafka bootstrap servers, comma-separated (default: $HOOKWAY_BROKERS, the file's kafka.brokers, or localhost:9092).")
    var brokers: String?

    func resolve(_ config: RoutesConfig?) -> String {
        brokers ?? ProcessInfo.processInfo.environment["HOOKWAY_BROKERS"] ?? config?.kafka.brokers ?? "localhost:9092"
    }
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Why a command could not pick the sink it works on.
enum SinkChoiceProblem {
    /// `--sink`/`--index` names no sink of the kind; the ones there are.
    case unknown(String, existing: [String])
    case none
    case several([String])
}

/// The sink of `kind` a command works on: the one `named`, else the only one of that kind. On
/// a problem, prints the command's own line for it (`describe`) and exits 1.
func chooseSink(_ kind: SinkKind, named: String?, in routes: RoutesConfig, describe: (SinkChoiceProblem) -> String) throws -> SinkConfig {
    let candidates = routes.sinkNames.filter { routes.sinks[$0]?.kind == kind }
    let problem: SinkChoiceProblem
    if let named {
        if candidates.contains(named), let config = routes.sinks[named] { return config }
        problem = .unknown(named, existing: candidates)
    } else {
        if candidates.count == 1, let only = candidates.first, let config = routes.sinks[only] { return config }
        problem = candidates.isEmpty ? .none : .several(candidates)
    }
    printError(describe(problem))
    throw ExitCode(1)
}
