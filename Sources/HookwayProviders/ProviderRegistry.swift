public import HookwayCore

/// A provider Hookway ships: what routes.json knows of it and the adapter that turns its
/// deliveries into events. Each lives in its own folder (`Bitso/`, `Koywe/`, …).
public struct Provider: Sendable {
    public let descriptor: any ProviderDescriptor
    public let adapter: any ProviderAdapter
    /// Builds the client of the provider's REST API; `nil` when Hookway has none.
    public let api: (@Sendable (APISettings) -> any ProviderAPI)?

    public init(descriptor: any ProviderDescriptor, adapter: any ProviderAdapter, api: (@Sendable (APISettings) -> any ProviderAPI)? = nil) {
        self.descriptor = descriptor
        self.adapter = adapter
        self.api = api
    }

    public var name: String { descriptor.name }
}

/// Every provider Hookway ships, in one list: adding a provider is a folder and a line here.
public enum ProviderRegistry {
    public static let all: [Provider] = [
        Provider(descriptor: BitCapitalProvider(), adapter: BitCapitalAdapter(), api: { BitCapitalAPI(settings: $0) }),
        Provider(descriptor: BitpowrProvider(), adapter: BitpowrAdapter(), api: { BitpowrAPI(settings: $0) }),
        Provider(descriptor: BitsoProvider(), adapter: BitsoAdapter(), api: { BitsoAPI(settings: $0) }),
        Provider(descriptor: KoyweProvider(), adapter: KoyweAdapter(), api: { KoyweAPI(settings: $0) }),
        Provider(descriptor: BitnobProvider(), adapter: BitnobAdapter(), api: { BitnobAPI(settings: $0) }),
        Provider(descriptor: StandardWebhooksProvider(), adapter: StandardWebhooksAdapter()),
    ]

    /// The descriptors, for ``RoutesSchema``.
    public static var descriptors: [any ProviderDescriptor] { all.map(\.descriptor) }

    /// Provider names in registry order.
    public static var names: [String] { all.map(\.name) }

    private static let adapters: [String: any ProviderAdapter] = Dictionary(
        all.map { ($0.name, $0.adapter) },
        uniquingKeysWith: { first, _ in first }
    )

    /// The API client of `source` (its provider's, with its `api` settings), or `nil` when the
    /// source has no `api` entry or its provider no client.
    public static func api(for source: SourceConfig) -> (any ProviderAPI)? {
        guard let settings = source.api, let make = all.first(where: { $0.name == source.provider })?.api else { return nil }
        return make(settings)
    }

    /// The adapter for a `provider` value (`"bitnob"`), or `nil` when Hookway has none.
    public static func adapter(named provider: String) -> (any ProviderAdapter)? {
        adapters[provider]
    }
}
