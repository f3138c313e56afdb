import ArgumentParser
import Foundation
import HookwayCore
import HookwaySinks
import Logging

/// `hookway ledger …`.
struct Ledger: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Accounting ledger tools.", subcommands: [Balances.self])

    /// `hookway ledger balances`.
    struct Balances: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the ledger's balances per account and currency.")
        @OptionGroup var config: ConfigOption
        @Option(help: "The accounting sink (default: the only one).") var sink: String?
        @Option(help: "Only accounts matching this glob, e.g. 'assets:*'.") var account: String?
        @Flag(help: "JSON output for machines.") var json = false

        func run() async throws {
            let routes = try config.load()
            let sinkConfig = try chooseSink(.accounting, named: sink, in: routes) { problem in
                switch problem {
                case .unknown(let name, let ledgers): "no accounting sink named \"\(name)\"; accounting sinks: \(ledgers.joined(separator: ", "))"
                case .none: "no accounting sink in \(config.path)"
                case .several(let ledgers): "several accounting sinks; choose one with --sink (\(ledgers.joined(separator: ", ")))"
                }
            }
            let name = sinkConfig.name
            let ledger: LedgerSink
            do {
                ledger = try LedgerSink.make(
                    sinkConfig,
                    logger: Logger(label: "hookway.ledger", factory: { _ in SwiftLogNoOpLogHandler() }),
                    readOnly: true,
                    clientRunner: .owner
                )
            } catch {
                let failure = describe(error)
                printError("hookway ledger: \(failure.message) [\(failure.code)]")
                throw ExitCode(1)
            }
            let glob = account.map(Glob.init)
            // The store's client runs in this command's scope, ended once the balances are read.
            let read = await withTaskGroup(of: Void.self) { group -> Result<[LedgerBalance], any Error> in
                group.addTask { await ledger.store.run() }
                defer { group.cancelAll() }
                do {
                    return .success(try await ledger.store.balances())
                } catch {
                    return .failure(error)
                }
            }
            await ledger.store.close()
            let all: [LedgerBalance]
            switch read {
            case .success(let balances):
                all = balances
            case .failure(let error):
                let failure = describe(error)
                printError("hookway ledger: cannot read the ledger of sink \"\(name)\": \(failure.message) [\(failure.code)]")
                throw ExitCode(1)
            }
            let rows = all.filter { glob?.matches($0.account) ?? true }
            if json {
                let items = rows.map { row in
                    JSONValue.object([
                        JSONMember("account", .string(row.account)), JSONMember("currency", .string(row.currency)),
                        JSONMember("balance", .string(row.balance.plainText)),
                    ])
                }
                print(JSONValue.array(items).jsonText)
                return
            }
            let accountWidth = max(7, rows.map(\.account.count).max() ?? 0)
            let currencyWidth = max(8, rows.map(\.currency.count).max() ?? 0)
            print("\(pad("ACCOUNT", accountWidth))  \(pad("CURRENCY", currencyWidth))  BALANCE")
            for row in rows { print("\(pad(row.account, accountWidth))  \(pad(row.currency, currencyWidth))  \(row.balance.plainText)") }
        }
    }
}
