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
