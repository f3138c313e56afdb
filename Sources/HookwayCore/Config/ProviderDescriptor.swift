/// What routes.json and the HTTP layer know of a provider: its name, its own `sources` keys
/// and their validation, and how it treats our answers.
///
/// Each provider's folder in HookwayProviders has one; the registry there lists them, and
/// ``RoutesSchema`` hands them to the loader. HookwayCore names no provider.
public protocol ProviderDescriptor: Sendable {
    /// The `provider` value of a source (`bitnob`).
    var name: String { get }
    /// Keys of a `sources` entry this provider accepts besides ``SourceKeys/common``.
    var optionKeys: Set<String> { get }
    /// How the provider treats our answers.
    var traits: ProviderTraits { get }
    /// What its REST API needs in a source's `api` entry; `nil` when Hookway has no client for it.
    var api: APIDescriptor? { get }
    /// Reads this provider's keys of the entry at `path` (its members; the common keys are
    /// already in `source`), reporting problems to `reader`.
    func readOptions(_ members: [JSONMember], source: SourceConfig, at path: String, reader: inout ConfigReader) -> any ProviderOptions
    /// Reports a source nothing authenticates (called only when the entry read cleanly).
    func checkAuthentication(of source: SourceConfig, at path: String, reader: inout ConfigReader)
}

extension ProviderDescriptor {
    public var optionKeys: Set<String> { [] }
    public var traits: ProviderTraits { ProviderTraits() }
    public var api: APIDescriptor? { nil }
    public func readOptions(_ members: [JSONMember], source: SourceConfig, at path: String, reader: inout ConfigReader) -> any ProviderOptions {
        NoProviderOptions()
    }
}

/// A provider's own settings of one source, read by its ``ProviderDescriptor``.
public protocol ProviderOptions: Sendable {}

/// The options of a provider with no keys of its own.
public struct NoProviderOptions: ProviderOptions {
    public init() {}
}

/// How a provider treats the answers to its deliveries.
public struct ProviderTraits: Sendable, Hashable {
    /// A 4xx answer loses the event for good (the provider retries only 5xx and timeouts), so
    /// the ingress logs those answers as errors instead of warnings.
    public var dropsEventOn4xx: Bool
    /// The provider stops waiting for an answer after this long; the ingress caps its wait for
    /// Kafka's acknowledgement below it (a source's `ackTimeoutMs` still wins).
    public var answerDeadlineMs: Int?

    public init(dropsEventOn4xx: Bool = false, answerDeadlineMs: Int? = nil) {
        self.dropsEventOn4xx = dropsEventOn4xx
        self.answerDeadlineMs = answerDeadlineMs
    }
}

/// The `sources` keys every provider accepts.
public enum SourceKeys {
    public static let common: Set<String> = [
        "provider", "secrets", "token", "allowFrom", "toleranceSeconds", "ackTimeoutMs", "api", "trustTraceContext",
    ]
}
