public import HookwayCore
import Logging

extension SinkKind {
    /// Double-entry postings in SQLite or PostgreSQL.
    public static let accounting: SinkKind = "accounting"
}

/// The `accounting` kind in routes.json.
public struct LedgerSinkModule: SinkModule {
    public let kind = SinkKind.accounting
    public let optionKeys: Set<String> = [
        "database", "postings", "reversals", "amountField", "currencyField", "defaultCurrency", "batchSize", "maxAmountDigits", "requireConfirmation",
    ]

    public init() {}

    public func validateOptions(_ value: JSONValue, sink: SinkConfig, at path: String, reader: inout ConfigReader) {
        _ = reader.ledgerOptions(value, at: path, baseDirectory: sink.baseDirectory)
    }

    public func make(_ config: SinkConfig, context: SinkContext) throws -> any Sink {
        try LedgerSink.make(config, logger: context.logger, clientRunner: .owner)
    }
}
