import ArgumentParser
import HookwayCore
import HookwayKafka
import Logging

extension KafkaProducer {
    /// The producer a command publishes with: `routes.json`'s `kafka.producer` properties on
    /// `brokers`, named `clientID` in the brokers' logs; a producer that cannot be created
    /// ends the command with exit code 2.
    static func forCommand(clientID: String, brokers: String, routes: RoutesConfig, logger: Logger) throws -> KafkaProducer {
        var configuration = KafkaProducerConfiguration(bootstrapServers: brokers)
        configuration.clientID = clientID
        configuration.properties = routes.kafka.producer
        do {
            return try KafkaProducer(configuration: configuration, logger: logger)
        } catch {
            throw fail(error, logger: logger, context: "cannot create the Kafka producer", exitCode: 2)
        }
    }
}
