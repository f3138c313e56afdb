import ArgumentParser

// Commands whose modules land in later issues. Each says so and exits 2 rather than pretending.

struct Consume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the sink consumers (email, CRM, accounting).")
    @OptionGroup var config: ConfigOption
    @OptionGroup var brokers: BrokersOption
    @Option(name: .customLong("sink"), help: "Run only this sink (repeatable).") var sinks: [String] = []
    func run() async throws {
        printError("hookway consume: the sink runtime is not built yet")
        throw ExitCode(2)
    }
}

struct Tail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the events on topics, one readable line each.")
    @Argument var topics: [String] = []
    func run() async throws {
        printError("hookway tail: not built yet")
        throw ExitCode(2)
    }
}

struct DLQ: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dlq", abstract: "Dead-letter tools.")
}

struct Ledger: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Accounting ledger tools.")
}
