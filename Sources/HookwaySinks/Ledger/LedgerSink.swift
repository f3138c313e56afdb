public import HookwayCore
import NIOPosix

/// The `accounting` sink: each event becomes one balanced journal transaction keyed by its
/// CloudEvent id (a redelivery books nothing), per the sink's posting and reversal rules.
public struct LedgerSink: Sink {
    let options: LedgerOptions
    public let store: any LedgerStore

    public init(options: LedgerOptions, store: any LedgerStore) {
        self.options = options
        self.store = store
    }

    /// Opens the store named by the options.
    public static func make(_ config: SinkConfig) throws -> LedgerSink {
        let (options, problems) = LedgerOptions.parse(config)
        guard let options else { throw SinkError.permanent(problems.map(\.description).joined(separator: "; ")) }
        switch options.database {
        case .sqlite(let path):
            return LedgerSink(options: options, store: try SQLiteLedgerStore(path: path))
        case .postgres:
            throw SinkError.permanent("postgres ledgers are not supported by this build; use sqlite:PATH")
        }
    }

    /// The journal lines an event books, or `nil` when no rule matches.
    public func entries(for event: Event) throws(SinkError) -> [LedgerEntry]? {
        guard let rule = options.postings.first(where: { $0.match.matches(event) }) else { return nil }
        guard let amountText = event.field(atPath: rule.amountField)?.scalarText, let amount = ExactDecimal(amountText) else {
            throw .permanent("posting rule needs a decimal at \(rule.amountField); event \(event.id) has \(event.field(atPath: rule.amountField)?.jsonText ?? "none")")
        }
        guard let currency = event.field(atPath: rule.currencyField)?.scalarText ?? options.defaultCurrency, !currency.isEmpty else {
            throw .permanent("no currency at \(rule.currencyField) and no defaultCurrency for event \(event.id)")
        }
        var missing: [String] = []
        let resolveCurrency: (String) -> String? = { $0 == "data.currency" || $0 == "currency" ? currency : nil }
        let debit = rule.debit.render(event, resolve: resolveCurrency) { missing.append($0) }
        let credit = rule.credit.render(event, resolve: resolveCurrency) { missing.append($0) }
        guard missing.isEmpty else {
            throw .permanent("account template references missing field(s) \(missing.joined(separator: ", ")) in event \(event.id)")
        }
        return [
            LedgerEntry(account: debit, currency: currency, amount: amount),
            LedgerEntry(account: credit, currency: currency, amount: amount.negated),
        ]
    }

    public func deliver(_ event: Event) async throws(SinkError) {
        let reversal = options.reversals.first { $0.match.matches(event) }
        let lines: [LedgerEntry]
        if reversal != nil {
            lines = []
        } else {
            lines = try entries(for: event) ?? []
        }
        let store = self.store
        do {
            // SQLite blocks; keep it off the cooperative pool.
            _ = try await NIOThreadPool.singleton.runIfActive {
                try store.book(eventID: event.id, type: event.type, subject: event.subject, entries: lines, reversing: reversal?.reverses)
            }
        } catch let error as SQLiteError where error.isBusy {
            throw .transient("ledger database busy: \(error)")
        } catch let error as SinkError {
            throw error
        } catch {
            throw .transient("ledger write failed: \(error)")
        }
    }
}
