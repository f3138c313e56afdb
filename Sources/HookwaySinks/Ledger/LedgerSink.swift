import Foundation
import GRDB
public import HookwayCore
public import Logging
import Tracing

/// The `accounting` sink: each event becomes one balanced journal transaction keyed by its
/// CloudEvent id (a redelivery books nothing), per the sink's posting and reversal rules.
/// Concurrent deliveries are committed together (``GroupCommit``).
public struct LedgerSink: Sink {
    let options: LedgerOptions
    public let store: any LedgerStore
    let batcher: GroupCommit<BookingRequest, BookingOutcome>

    public init(options: LedgerOptions, store: any LedgerStore) {
        self.options = options
        self.store = store
        self.batcher = GroupCommit(maxBatch: options.batchSize) { try await store.book($0) }
    }

    /// Opens the store named by the options (an `env:`/`file:` database is read now).
    /// `clientRunner`: ``PostgresLedgerStore/ClientRunner/owner`` when the sink runtime runs the
    /// sink (``run()``), `.store` for commands and tests that call the sink directly.
    public static func make(
        _ config: SinkConfig,
        logger: Logger = Logger(label: "hookway.ledger"),
        readOnly: Bool = false,
        clientRunner: PostgresLedgerStore.ClientRunner = .store
    ) throws -> LedgerSink {
        let (options, problems) = LedgerOptions.parse(config)
        guard let options else { throw SinkError.permanent(.sinkConfigInvalid, problems.map(\.description).joined(separator: "; ")) }
        return LedgerSink(
            options: options,
            store: try openStore(
                options.database,
                baseDirectory: config.baseDirectory,
                logger: logger,
                readOnly: readOnly,
                clientRunner: clientRunner
            )
        )
    }

    static func openStore(
        _ database: LedgerOptions.Database,
        baseDirectory: String,
        logger: Logger,
        readOnly: Bool,
        clientRunner: PostgresLedgerStore.ClientRunner
    ) throws -> any LedgerStore {
        switch database {
        case .sqlite(let path):
            if readOnly, !FileManager.default.fileExists(atPath: path) {
                throw LedgerStoreError("the ledger \(path) does not exist yet (nothing booked)", code: .ledgerMissing)
            }
            return try SQLiteLedgerStore(path: path, readOnly: readOnly)
        case .postgres(let url):
            return try PostgresLedgerStore(url: url, logger: logger, migrate: !readOnly, clientRunner: clientRunner)
        case .reference:
            let resolved: LedgerOptions.Database
            do {
                resolved = try database.resolved(baseDirectory: baseDirectory)
            } catch {
                throw LedgerStoreError("the ledger database \(error.message)", code: .ledgerURLInvalid)
            }
            return try openStore(resolved, baseDirectory: baseDirectory, logger: logger, readOnly: readOnly, clientRunner: clientRunner)
        }
    }

    /// What booking `event` asks for: its posting rule's lines, a reversal, or nothing (skipped).
    public func request(for event: Event) throws(SinkError) -> BookingRequest {
        if options.requireConfirmation {
            guard let confirmation = event.confirmation else {
                throw .permanent(
                    .eventUnconfirmed,
                    "\(event.id) carries no confirmation; requireConfirmation books only events a confirm sink matched"
                )
            }
            guard confirmation.result == .matched else {
                throw .permanent(
                    .eventUnconfirmed,
                    "\(event.id) is not confirmed: \(confirmation.result)\(confirmation.reason.map { " (\($0))" } ?? "") at \(confirmation.checkedAt)"
                )
            }
        }
        if let reversal = options.reversals.first(where: { $0.match.matches(event) }) {
            return BookingRequest(eventID: event.id, type: event.type, subject: event.subject, entries: [], reversing: reversal.reverses)
        }
        return BookingRequest(eventID: event.id, type: event.type, subject: event.subject, entries: try entries(for: event) ?? [])
    }

    /// The journal lines an event books, or `nil` when no rule matches.
    public func entries(for event: Event) throws(SinkError) -> [LedgerEntry]? {
        guard let rule = options.postings.first(where: { $0.match.matches(event) }) else { return nil }
        guard let amountText = event.field(atPath: rule.amountField)?.scalarText, let amount = ExactDecimal(amountText) else {
            let found = event.field(atPath: rule.amountField)?.jsonText ?? "none"
            throw .permanent(
                .eventUnusable,
                "posting rule needs a decimal at \(rule.amountField); event \(event.id) has \(LogSafe.text(found, limit: 64))"
            )
        }
        guard amount.significantDigitCount <= options.maxAmountDigits else {
            throw .permanent(
                .eventUnusable,
                "amount at \(rule.amountField) has \(amount.significantDigitCount) significant digits (maxAmountDigits is \(options.maxAmountDigits)); event \(event.id)"
            )
        }
        guard amount.isPositive || rule.allowNegative else {
            throw .permanent(
                .eventUnusable,
                "amount \(LogSafe.text(amount.plainText, limit: 48)) at \(rule.amountField) is not positive; undo a booking with a reversal rule, or set \"allowNegative\": true on the posting (event \(event.id))"
            )
        }
        guard let currency = event.field(atPath: rule.currencyField)?.scalarText ?? options.defaultCurrency, !currency.isEmpty else {
            throw .permanent(.eventUnusable, "no currency at \(rule.currencyField) and no defaultCurrency for event \(event.id)")
        }
        var missing: [String] = []
        let resolveCurrency: (String) -> String? = { $0 == "data.currency" || $0 == "currency" ? currency : nil }
        let debit = rule.debit.render(event, resolve: resolveCurrency) { missing.append($0) }
        let credit = rule.credit.render(event, resolve: resolveCurrency) { missing.append($0) }
        guard missing.isEmpty else {
            throw .permanent(.eventUnusable, "account template references missing field(s) \(missing.joined(separator: ", ")) in event \(event.id)")
        }
        return [
            LedgerEntry(account: debit, currency: currency, amount: amount),
            LedgerEntry(account: credit, currency: currency, amount: amount.negated),
        ]
    }

    @discardableResult
    public func deliver(_ event: Event) async throws(SinkError) -> SinkOutcome {
        let request = try request(for: event)
        do {
            // The booking's span covers the wait for its batch's transaction.
            return try await withSpan("ledger book", ofKind: .client) { span in
                span.attributes["db.system.name"] = store.databaseSystem
                span.attributes["db.operation.name"] = "book"
                let outcome: SinkOutcome
                switch try await batcher.submit(request) {
                case .booked: outcome = .booked
                case .alreadyBooked: outcome = .skipped("already booked")
                case .skipped: outcome = .skipped("no posting rule matched")
                case .nothingToReverse: outcome = .skipped("nothing to reverse")
                }
                span.attributes["hookway.outcome"] = outcome.report.kind.rawValue
                return outcome
            }
        } catch let error as DatabaseError where error.isBusy {
            throw .transient(.storageBusy, "ledger database busy: \(error)")
        } catch {
            // A database that is down, a lost connection, a serialization failure: all clear up
            // on a later attempt; a poison booking fails alone (see GroupCommit) and reaches
            // the dead-letter topic after the retries.
            throw .transient(.storageFailed, "ledger write failed: \(String(reflecting: error))")
        }
    }

    /// The sink's background work in the runner's scope: the batches' transactions and the
    /// store's client (PostgreSQL's).
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await batcher.run() }
            group.addTask { await store.run() }
        }
    }

    public func shutdown() async {
        await store.close()
    }
}
