import CRdKafka

// Test hooks (package access: the package's tests use them, the product cannot): librdkafka's
// own `rd_kafka_test_fatal_error`, which raises a fabricated fatal error exactly as a real one
// would surface — there is no practical way to cause a real fatal idempotence error on demand.

extension KafkaProducer {
    /// Raises a fatal error in this producer, as a fenced or out-of-sequence idempotent producer
    /// would: every later produce fails with `_FATAL`.
    package func injectFatalError(code: Int32 = RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER.rawValue, reason: String) {
        _ = handle.withLease { rk in rd_kafka_test_fatal_error(rk, rd_kafka_resp_err_t(rawValue: code), reason) }
    }
}

extension KafkaConsumer {
    /// Raises a fatal error in this consumer: its poll loop ends the sequence with it.
    package func injectFatalError(code: Int32 = RD_KAFKA_RESP_ERR__FATAL.rawValue, reason: String) {
        _ = handle.withLease { rk in rd_kafka_test_fatal_error(rk, rd_kafka_resp_err_t(rawValue: code), reason) }
    }
}
