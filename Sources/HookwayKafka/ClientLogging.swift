import CRdKafka
import Logging

/// Forwards librdkafka's log lines (syslog levels) to the client's swift-log logger. Called
/// from librdkafka's internal threads; the client opaque is a retained ``ClientLogging`` value.
let clientLogCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = {
    rk,
    level,
    facility,
    message in
    guard let rk, let opaque = rd_kafka_opaque(rk) else { return }
    let logger = Unmanaged<AnyObject>.fromOpaque(opaque).takeUnretainedValue()
    guard let logging = logger as? any ClientLogging else { return }
    logging.logger.log(
        level: ClientLogLevel.swiftLogLevel(syslog: level),
        "librdkafka",
        metadata: [
            "kafka.facility": "\(facility.map { String(cString: $0) } ?? "")",
            "kafka.message": "\(message.map { String(cString: $0) } ?? "")",
        ]
    )
}

/// A client core whose logger receives librdkafka's log lines.
protocol ClientLogging: AnyObject, Sendable {
    var logger: Logger { get }
}

extension ProducerCore: ClientLogging {}
extension ConsumerCore: ClientLogging {}

enum ClientLogLevel {
    static func swiftLogLevel(syslog level: Int32) -> Logger.Level {
        switch level {
        // librdkafka logs transient broker trouble at LOG_ERR; the caller sees real failures
        // as typed errors, so these are warnings here.
        case ...2: .error
        case 3: .warning
        case 4: .notice
        case 5, 6: .info
        default: .debug
        }
    }
}
