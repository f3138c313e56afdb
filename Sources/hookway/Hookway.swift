import ArgumentParser

/// The `hookway` command line (CONTRACT.md §1).
@main
struct Hookway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hookway",
        abstract: "Verified webhooks from payment and crypto providers, as CloudEvents on Kafka.",
        subcommands: [
            Serve.self, Consume.self, Routes.self, Simulate.self, Tail.self, DLQ.self, Ledger.self, Reconcile.self, Probe.self, Trace.self,
            Events.self, ReplayCommand.self,
        ]
    )
}
