public import HookwayCore
import NIOConcurrencyHelpers

/// The routes file currently in force. Requests read a snapshot; a reload swaps it atomically
/// between requests, so one request never sees half of two files.
public final class ConfigStore: Sendable {
    /// What a request needs of the config, compiled once per load.
    public struct Snapshot: Sendable {
        public let config: RoutesConfig
        public let routeTable: RouteTable
        /// Bumped on every successful reload.
        public let generation: Int
    }

    private let state: NIOLockedValueBox<Snapshot>

    public init(_ config: RoutesConfig) {
        state = NIOLockedValueBox(Snapshot(config: config, routeTable: config.routeTable, generation: 1))
    }

    /// The snapshot in force now.
    public var current: Snapshot { state.withLockedValue { $0 } }

    /// Puts a new, already validated config in force.
    public func replace(with config: RoutesConfig) {
        state.withLockedValue { $0 = Snapshot(config: config, routeTable: config.routeTable, generation: $0.generation + 1) }
    }
}
