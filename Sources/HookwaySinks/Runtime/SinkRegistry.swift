public import HookwayCore
public import Logging

/// A sink kind: what routes.json knows of it (``SinkDescriptor``) and how to build one.
public protocol SinkModule: SinkDescriptor {
    /// Builds the sink of a validated `sinks` entry of this kind.
    func make(_ config: SinkConfig, logger: Logger) throws -> any Sink
}

/// The sink kinds Hookway ships; adding one is one folder and one entry here.
public enum SinkRegistry {
    public static let all: [any SinkModule] = [EmailSinkModule(), CRMSinkModule(), LedgerSinkModule()]

    /// The module of `kind`, or `nil` when Hookway has none.
    public static func module(for kind: SinkKind) -> (any SinkModule)? {
        all.first { $0.kind == kind }
    }

    /// Builds the sink of `config` by its kind.
    public static func make(_ config: SinkConfig, logger: Logger) throws -> any Sink {
        guard let module = module(for: config.kind) else {
            throw SinkError.permanent(.sinkConfigInvalid, "no sink module for kind \"\(config.kind)\"")
        }
        return try module.make(config, logger: logger)
    }
}
