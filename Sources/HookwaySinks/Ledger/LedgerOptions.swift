import Foundation
public import HookwayCore

/// Options of an `accounting` sink: where the ledger lives and how events become postings.
///
/// ```json
/// { "kind": "accounting", "topics": ["payments.deposits"], "database": "sqlite:var/ledger.sqlite",
///   "postings": [ { "match": { "type": "bitnob.*.received.success" },
///                   "debit": "assets:{provider}:{data.currency}",
///                   "credit": "liabilities:customers:{data.payload.data.customerEmail}" } ],
///   "reversals": [ { "match": { "type": "bitso.withdrawal.failed" }, "reverses": "bitso.withdrawal.pending" } ] }
/// ```
public struct LedgerOptions: Sendable {
    public enum Database: Sendable, Hashable {
        case sqlite(path: String)
        case postgres(url: String)
        /// `env:NAME` / `file:PATH`: the URL (which carries a password) is read when the sink
        /// starts, so it never sits in routes.json.
        case reference(SecretReference)

        /// Parses `sqlite:PATH` (relative to `baseDirectory`) or `postgres://…`.
        public static func parse(_ text: String, baseDirectory: String) -> Database? {
            if text.hasPrefix("sqlite:") {
                let p = String(text.dropFirst("sqlite:".count))
                guard !p.isEmpty else { return nil }
                return .sqlite(path: p.hasPrefix("/") ? p : "\(baseDirectory)/\(p)")
            }
            if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") { return .postgres(url: text) }
            return nil
        }

        /// A `sqlite:` or `postgres://` location, reading an `env:`/`file:` reference now;
        /// throws what is wrong with the reference (unset, or holding neither).
        public func resolved(baseDirectory: String) throws(DatabaseReferenceError) -> Database {
            guard case .reference(let reference) = self else { return self }
            let text: String?
            switch reference {
            case .environment(let name):
                text = ProcessInfo.processInfo.environment[name]
            case .file(let path):
                text = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            guard let text, !text.isEmpty else { throw DatabaseReferenceError(message: "\(reference.text) is not set") }
            guard let resolved = Database.parse(text, baseDirectory: baseDirectory) else {
                throw DatabaseReferenceError(message: "\(reference.text) holds neither sqlite:PATH nor a postgres:// URL")
            }
            return resolved
        }
    }

    /// A database `env:`/`file:` reference that does not hold a usable location.
    public struct DatabaseReferenceError: HookwayError {
        public var message: String
        public var code: ErrorCode { "database_reference_invalid" }
        /// Setting the variable or writing the file fixes it; retrying alone does not.
        public var isRetriable: Bool { false }
        public var description: String { message }
    }

    /// One rule: events it matches book `amount` from `debit` to `credit`.
    public struct Posting: Sendable, Hashable {
        public var match: MatchRule
        public var debit: FieldTemplate
        public var credit: FieldTemplate
        /// Where the amount is (default `data.amount`).
        public var amountField: String
        /// Where the currency is (default `data.currency`).
        public var currencyField: String
        /// Whether zero and negative amounts may be booked (`allowNegative`, default false:
        /// undoing a booking is a reversal rule's job, never a negative deposit).
        public var allowNegative = false
    }

    /// Events it matches reverse the booked transaction of the same subject whose type matches `reverses`.
    public struct Reversal: Sendable, Hashable {
        public var match: MatchRule
        public var reverses: [Glob]
    }

    public var database: Database
    public var postings: [Posting]
    public var reversals: [Reversal]
    public var defaultCurrency: String?
    /// Most bookings committed in one database transaction (group commit); default 256.
    public var batchSize: Int = 256
    /// Amounts with more significant digits are refused (a permanent error); default 38.
    public var maxAmountDigits = ExactDecimal.defaultMaxSignificantDigits
    /// Books only events a `confirm` sink found `matched` (the sink consumes its output topic);
    /// anything else is a permanent error, dead-lettered with the reason.
    public var requireConfirmation = false

    /// Parses and validates the options of `sink` (its whole JSON object).
    public static func parse(_ sink: SinkConfig) -> (LedgerOptions?, [ConfigProblem]) {
        var reader = ConfigReader(environment: [:], baseDirectory: sink.baseDirectory) { _ in nil }
        let options = reader.ledgerOptions(sink.options, at: "$.sinks.\(sink.name)", baseDirectory: sink.baseDirectory)
        return (reader.problems.isEmpty ? options : nil, reader.problems)
    }
}

extension ConfigReader {
    /// A sink's `database`: `sqlite:PATH`, `postgres://…`, or `env:NAME` / `file:PATH` holding one.
    mutating func database(_ value: JSONValue, at path: String, baseDirectory: String) -> LedgerOptions.Database? {
        guard let s = nonEmptyString(value, at: path) else { return nil }
        if let database = LedgerOptions.Database.parse(s, baseDirectory: baseDirectory) { return database }
        if let reference = SecretReference(s) { return .reference(reference) }
        error(
            path,
            "expected \"sqlite:PATH\", \"postgres://…\" or an env:NAME / file:PATH holding one, found \"\(s.hasPrefix("postgres") ? "postgres…" : s)\""
        )
        return nil
    }

    mutating func ledgerOptions(_ value: JSONValue, at path: String, baseDirectory: String) -> LedgerOptions {
        var options = LedgerOptions(database: .sqlite(path: baseDirectory + "/var/ledger.sqlite"), postings: [], reversals: [], defaultCurrency: nil)
        var defaultAmountField = "data.amount"
        var defaultCurrencyField = "data.currency"
        if let v = value["amountField"], let s = nonEmptyString(v, at: "\(path).amountField") { defaultAmountField = s }
        if let v = value["currencyField"], let s = nonEmptyString(v, at: "\(path).currencyField") { defaultCurrencyField = s }
        if let v = value["defaultCurrency"] { options.defaultCurrency = nonEmptyString(v, at: "\(path).defaultCurrency") }
        if let v = value["database"], let database = database(v, at: "\(path).database", baseDirectory: baseDirectory) {
            options.database = database
        }
        if let v = value["requireConfirmation"], let b = bool(v, at: "\(path).requireConfirmation") { options.requireConfirmation = b }
        if let v = value["batchSize"], let n = integer(v, at: "\(path).batchSize", min: 1, max: 10_000) { options.batchSize = n }
        if let v = value["maxAmountDigits"], let n = integer(v, at: "\(path).maxAmountDigits", min: 1, max: 1_000) { options.maxAmountDigits = n }
        if let v = value["postings"] {
            if case .array(let items) = v {
                for (i, item) in items.enumerated() {
                    let p = "\(path).postings[\(i)]"
                    guard object(item, at: p, allowed: ["match", "debit", "credit", "amountField", "currencyField", "allowNegative"]) != nil else {
                        continue
                    }
                    let match = item["match"].map { matchRule($0, at: "\(p).match") } ?? MatchRule()
                    let debit = item["debit"].flatMap { fieldTemplate($0, at: "\(p).debit") }
                    let credit = item["credit"].flatMap { fieldTemplate($0, at: "\(p).credit") }
                    if item["debit"] == nil { error("\(p).debit", "missing; name the account to debit") }
                    if item["credit"] == nil { error("\(p).credit", "missing; name the account to credit") }
                    let amountField = item["amountField"].flatMap { nonEmptyString($0, at: "\(p).amountField") } ?? defaultAmountField
                    let currencyField = item["currencyField"].flatMap { nonEmptyString($0, at: "\(p).currencyField") } ?? defaultCurrencyField
                    let allowNegative = item["allowNegative"].flatMap { bool($0, at: "\(p).allowNegative") } ?? false
                    if let debit, let credit {
                        options.postings.append(
                            .init(
                                match: match,
                                debit: debit,
                                credit: credit,
                                amountField: amountField,
                                currencyField: currencyField,
                                allowNegative: allowNegative
                            )
                        )
                    }
                }
            } else {
                error("\(path).postings", "expected a list of posting rules, found \(Self.typeName(v))")
            }
        } else {
            error("\(path).postings", "missing; an accounting sink needs at least one posting rule")
        }
        if let v = value["reversals"] {
            if case .array(let items) = v {
                for (i, item) in items.enumerated() {
                    let p = "\(path).reversals[\(i)]"
                    guard object(item, at: p, allowed: ["match", "reverses"]) != nil else { continue }
                    let match = item["match"].map { matchRule($0, at: "\(p).match") } ?? MatchRule()
                    guard let r = item["reverses"] else {
                        error("\(p).reverses", "missing; the type (glob) of the booking this event reverses")
                        continue
                    }
                    options.reversals.append(.init(match: match, reverses: globs(r, at: "\(p).reverses")))
                }
            } else {
                error("\(path).reversals", "expected a list of reversal rules, found \(Self.typeName(v))")
            }
        }
        return options
    }
}
