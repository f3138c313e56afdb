import CRdKafka

/// Renders ordered key/value pairs into an `rd_kafka_conf_t`; later pairs override earlier ones,
/// which is how defaults, pass-through properties and enforced settings are layered.
enum RdKafkaConfiguration {
    /// Returns a new `rd_kafka_conf_t` the caller owns (it is consumed by a successful
    /// `rd_kafka_new`, and must be destroyed otherwise).
    static func make(_ pairs: [(key: String, value: String)]) throws(KafkaError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(code: .creation, message: "rd_kafka_conf_new failed")
        }
        var errorText = [CChar](repeating: 0, count: 512)
        for (key, value) in pairs {
            let result = rd_kafka_conf_set(conf, key, value, &errorText, errorText.count)
            guard result == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(conf)
                throw KafkaError(code: .config, message: "\(key): \(cString(errorText))")
            }
        }
        return conf
    }

    /// Creates a client from `conf`, destroying `conf` if creation fails (librdkafka only
    /// takes ownership on success).
    static func makeClient(_ type: rd_kafka_type_t, conf: OpaquePointer) throws(KafkaError) -> OpaquePointer {
        var errorText = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(code: .creation, message: "rd_kafka_new: \(cString(errorText))")
        }
        return rk
    }

    static func cString(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A log callback that drops librdkafka's log lines, for short-lived internal clients
/// (admin, mock cluster host) whose failures are reported through return values instead.
let silentLogCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = {
    _,
    _,
    _,
    _ in
}
