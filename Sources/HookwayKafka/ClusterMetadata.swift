/// A snapshot of a cluster: its brokers and topics.
public struct ClusterMetadata: Sendable, Hashable {
    /// A broker in the cluster.
    public struct Broker: Sendable, Hashable {
        /// The broker id.
        public var id: Int32
        /// The advertised host.
        public var host: String
        /// The advertised port.
        public var port: Int32
    }

    /// A topic and its partition count.
    public struct Topic: Sendable, Hashable {
        /// The topic name.
        public var name: String
        /// The number of partitions.
        public var partitionCount: Int
        /// The error the broker reported for this topic's metadata, if any.
        public var error: KafkaError.Code?
    }

    /// The brokers, as advertised.
    public var brokers: [Broker]
    /// The topics, sorted by name.
    public var topics: [Topic]

    /// The topic named `name`, if the cluster has it.
    public func topic(named name: String) -> Topic? {
        topics.first { $0.name == name }
    }
}
