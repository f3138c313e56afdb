public import HookwayCore
public import HookwayKafka
public import Logging

/// What a sink may use besides its own options: the process's logger, its producer (the
/// `confirm` sink publishes with it) and the whole routes file (sources, `kafka` settings).
public struct SinkContext: Sendable {
    public var logger: Logger
    public var producer: KafkaProducer?
    public var routes: RoutesConfig?
    /// The brokers the process uses (`--brokers` wins over `kafka.brokers`).
    public var brokers: String?

    public init(logger: Logger, producer: KafkaProducer? = nil, routes: RoutesConfig? = nil, brokers: String? = nil) {
        self.logger = logger
        self.producer = producer
        self.routes = routes
        self.brokers = brokers
    }
}

/// A sink kind: what routes.json knows of it (``SinkDescriptor``) and how to build one.
public protocol SinkModule: SinkDescriptor {
    /// Builds the sink of a validated `sinks` entry of this kind.
    func make(_ config: SinkConfig, context: SinkContext) throws -> any Sink
}

/// The sink kinds Hookway ships; adding one is one folder and one entry here.
public enum SinkRegistry {
    public static let all: [any SinkModule] = [EmailSinkModule(), CRMSinkModule(), LedgerSinkModule(), ConfirmSinkModule(), IndexSinkModule()]

    /// The module of `kind`, or `nil` when Hookway has none.
    public static func module(for kind: SinkKind) -> (any SinkModule)? {
        all.first { $0.kind == kind }
    }

    /// Builds the sink of `config` by its kind.
    public static func make(_ config: SinkConfig, context: SinkContext) throws -> any Sink {
        guard let module = module(for: config.kind) else {
            throw SinkError.permanent(.sinkConfigInvalid, "no sink module for kind \"\(config.kind)\"")
        }
        return try module.make(config, context: context)
    }
}
