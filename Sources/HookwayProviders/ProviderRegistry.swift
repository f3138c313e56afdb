public import HookwayCore

/// A provider Hookway ships: what routes.json knows of it and the adapter that turns its
/// deliveries into events. Each lives in its own folder (`Bitso/`, `Koywe/`, …).
public struct Provider: Sendable {
    public let descriptor: any ProviderDescriptor
    public let adapter: any ProviderAdapter

    public var name: String { descriptor.name }
}

/// Every provider Hookway ships, in one list: adding a provider is a folder and a line here.
public enum ProviderRegistry {
    public static let all: [Provider] = [
        Provider(descriptor: BitCapitalProvider(), adapter: BitCapitalAdapter()),
        Provider(descriptor: BitpowrProvider(), adapter: BitpowrAdapter()),
        Provider(descriptor: BitsoProvider(), adapter: BitsoAdapter()),
        Provider(descriptor: KoyweProvider(), adapter: KoyweAdapter()),
        Provider(descriptor: BitnobProvider(), adapter: BitnobAdapter()),
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

    /// The adapter for a `provider` value (`"bitnob"`), or `nil` when Hookway has none.
    public static func adapter(named provider: String) -> (any ProviderAdapter)? {
        adapters[provider]
    }
}
