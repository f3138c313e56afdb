public import HookwayCore
public import HookwayKafka
import HummingbirdCore
public import Logging
import NIOPosix
public import ServiceLifecycle
public import Tracing

/// `hookway serve`: the HTTP ingress plus the services it needs (producer, broker health,
/// spool drainer), assembled for one `ServiceGroup`. The caller watches the routes file and
/// hands each valid reload to ``apply(_:)``.
public struct IngressServer: Sendable {
    public struct Options: Sendable {
        public var configPath: String
        public var host: String
        public var port: Int
        public var brokers: String
        /// Where webhook spans go (`nil`: tracing off, no span work on the request path).
        public var tracer: (any Tracer)?
        public init(configPath: String, host: String, port: Int, brokers: String, tracer: (any Tracer)? = nil) {
            self.configPath = configPath
            self.host = host
            self.port = port
            self.brokers = brokers
            self.tracer = tracer
        }
    }

    public let store: ConfigStore
    public let publisher: KafkaEventPublisher
    public let admin: KafkaAdmin
    public let spool: Spool?
    let options: Options
    let logger: Logger
    let metrics: @Sendable () -> [UInt8]

    /// Why the ingress could not be assembled: the spool (a local, operator-fixable problem:
    /// exit 1) or the Kafka producer (exit 2).
    public struct StartError: HookwayError {
        /// `spool_unavailable` or `producer_unavailable`.
        public var code: ErrorCode
        public var message: String
        /// A producer may be creatable later (exit 2, restart); a spool needs the operator.
        public var isRetriable: Bool { code == .producerUnavailable }
        public var description: String { message }
    }

    /// Builds the producer and publisher for `config`; nothing runs until ``makeServices(onServerRunning:)``.
    /// `admin` is the process's one admin client (a new one when `nil`); `metrics` renders the
    /// process's Prometheus exposition for `GET /metrics`.
    public init(
        config: RoutesConfig,
        options: Options,
        metrics: @escaping @Sendable () -> [UInt8],
        admin: KafkaAdmin? = nil,
        logger: Logger
    ) throws(StartError) {
        self.options = options
        self.logger = logger
        self.metrics = metrics
        store = ConfigStore(config)
        RequestMetrics.noteAnswerDeadlines(config)
        // The spool's counters from the start, at 0: the dashboard and increase() see the first one.
        if config.spool.enabled { _ = (SpoolFallback.spooledCounter, SpoolDrainer.drainedCounter) }
        var producerConfig = KafkaProducerConfiguration(bootstrapServers: options.brokers)
        producerConfig.clientID = "hookway-ingress"
        producerConfig.properties = config.kafka.producer
        // A webhook's answer waits for its delivery report: librdkafka's 5 ms default linger
        // would be most of a quiet sender's answer time. 1 ms unless the routes file says.
        if config.kafka.producer["linger.ms"] == nil && config.kafka.producer["queue.buffering.max.ms"] == nil {
            producerConfig.linger = .milliseconds(1)
        }
        // Big enough for a maxBodyBytes body and its envelope (routes check refuses a
        // configured value that is not).
        let messageMaxBytes = config.kafka.messageMaxBytes(for: config.limits)
        producerConfig.properties["message.max.bytes"] = String(messageMaxBytes)
        if messageMaxBytes > KafkaSettings.brokerDefaultMessageMaxBytes {
            logger.notice(
                "events up to \(messageMaxBytes) bytes: the brokers' message.max.bytes (or the topics' max.message.bytes) must allow that; Kafka's default is \(KafkaSettings.brokerDefaultMessageMaxBytes)"
            )
        }
        // A message still queued when we answered 503 may yet be delivered: keep librdkafka's own
        // timeout well beyond the HTTP wait so it is not reported failed while Kafka is merely slow.
        producerConfig.messageTimeout = .milliseconds(max(30_000, config.kafka.ackTimeoutMs * 4))
        let producerConfiguration = producerConfig
        self.admin = admin ?? KafkaAdmin(bootstrapServers: options.brokers)
        if config.spool.enabled {
            do {
                spool = try Spool(settings: config.spool, logger: logger)
            } catch {
                throw StartError(
                    code: .spoolUnavailable,
                    message: "cannot open the spool at \(config.spool.path): \((error as? SpoolError)?.message ?? "\(error)")"
                )
            }
        } else {
            spool = nil
        }
        do {
            publisher = try KafkaEventPublisher(
                makeProducer: { () throws(KafkaError) -> KafkaProducer in try KafkaProducer(configuration: producerConfiguration, logger: logger) },
                admin: self.admin,
                topics: .init(
                    autoCreate: config.kafka.autoCreate,
                    partitions: config.kafka.partitions,
                    replicationFactor: config.kafka.replicationFactor,
                    outcomeTopic: config.kafka.outcomeTopic
                ),
                spool: spool,
                messageMaxBytes: messageMaxBytes,
                logger: logger
            )
        } catch {
            throw StartError(code: .producerUnavailable, message: "cannot create the Kafka producer: \(error)")
        }
    }

    /// The HTTP application and the background services, in start order.
    public func makeServices(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> [any Service] {
        let publisher = self.publisher
        let store = self.store
        let responder = WebhookResponder(
            store: store,
            publisher: publisher,
            metrics: metrics,
            tracer: options.tracer,
            readiness: { publisher.readiness }
        )
        let logger = self.logger
        let server = Server(
            childChannelSetup: IngressChannel(responder: responder, limits: { store.current.config.limits }),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "hookway"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: logger
        )
        let health = BrokerHealthMonitor(admin: admin) { publisher.markBrokerAnswered() }
        var services: [any Service] = [ProducerService(publisher: publisher, spool: spool, logger: logger), health]
        if let spool { services.append(SpoolDrainer(spool: spool, publisher: publisher, admin: admin, logger: logger)) }
        services.append(server)
        return services
    }
}

extension ErrorCode {
    /// The Kafka producer could not be created.
    public static let producerUnavailable: ErrorCode = "producer_unavailable"
}

extension IngressServer {
    /// Puts a reloaded, already validated routes file in force: requests after this see it.
    public func apply(_ config: RoutesConfig) {
        store.replace(with: config)
        RequestMetrics.noteAnswerDeadlines(config)
        publisher.updateTopicSettings(
            .init(
                autoCreate: config.kafka.autoCreate,
                partitions: config.kafka.partitions,
                replicationFactor: config.kafka.replicationFactor,
                outcomeTopic: config.kafka.outcomeTopic
            )
        )
    }
}

/// Owns the producer's lifetime in the service group: on shutdown (after the HTTP server, which
/// is later in the group and so stops first) it flushes every queued message.
struct ProducerService: Service {
    let publisher: KafkaEventPublisher
    let spool: Spool?
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        logger.info("flushing producer", metadata: ["in_flight": "\(publisher.producer.inFlightCount)"])
        await publisher.shutdownProducer(timeout: .seconds(10))
        await spool?.close()
    }
}
