import CRdKafka

extension KafkaProducer {
    /// Sends one message and waits for the broker's acknowledgement (`acks=all`, idempotent).
    ///
    /// Key, value and headers are copied before this returns control to librdkafka. A full local
    /// queue (`_QUEUE_FULL`) is not an error: the send backs off (without blocking a thread) and
    /// tries again until `message.timeout.ms` would have expired.
    ///
    /// - Parameters:
    ///   - key: the partitioning key, `nil` for none; one entity's events share a key to stay ordered.
    ///   - value: the payload, `nil` for a null value.
    /// - Returns: the partition and offset the message was written to.
    /// - Throws: the delivery error (`_MSG_TIMED_OUT`, ...), or ``KafkaError/Code/closed``.
    public func send(
        topic: String,
        key: [UInt8]?,
        value: [UInt8]?,
        headers: [KafkaHeader] = []
    ) async throws(KafkaError) -> DeliveryReport {
        var backoff = Duration.milliseconds(1)
        var waitedForQueue = Duration.zero
        while true {
            let outcome = await withCheckedContinuation { continuation in
                enqueueMessage({ continuation.resume(returning: $0) }, topic: topic, key: key, value: value, headers: headers)
            }
            switch outcome {
            case .delivered(let report):
                return report
            case .failed(let error):
                throw error
            case .notQueued(let error) where error.code == .queueFull && waitedForQueue < queueFullPatience:
                // Back-pressure from librdkafka: wait for delivery reports to free room.
                try? await Task.sleep(for: backoff)
                waitedForQueue += backoff
                backoff = min(backoff * 2, .milliseconds(100))
            case .notQueued(let error):
                throw error
            }
        }
    }

    /// How long a send waits for room in a full queue before giving up with `_QUEUE_FULL`.
    private var queueFullPatience: Duration { .seconds(30) }

    /// Enqueues one message without waiting: `onDelivery` is called exactly once — from the
    /// producer's poll thread with the delivery report, or before this returns when the message
    /// cannot be enqueued (a full queue is reported as `_QUEUE_FULL`, not waited out).
    ///
    /// For callers that wait for several messages at once (one event, several topics) with one
    /// continuation, instead of a task per message. `onDelivery` must be quick and not block:
    /// it runs on the poll thread.
    public func send(
        topic: String,
        key: [UInt8]?,
        value: [UInt8]?,
        headers: [KafkaHeader] = [],
        onDelivery: @escaping @Sendable (Result<DeliveryReport, KafkaError>) -> Void
    ) {
        enqueueMessage(
            { outcome in
                switch outcome {
                case .delivered(let report): onDelivery(.success(report))
                case .failed(let error), .notQueued(let error): onDelivery(.failure(error))
                }
            },
            topic: topic,
            key: key,
            value: value,
            headers: headers
        )
    }

    private func enqueueMessage(
        _ completion: @escaping ProducerStateMachine.SendCompletion,
        topic: String,
        key: [UInt8]?,
        value: [UInt8]?,
        headers: [KafkaHeader]
    ) {
        let id: UInt64
        switch core.state.withLockedValue({ $0.register(completion, topic: topic) }) {
        case .reject(let completion, let error):
            completion(.failed(error))
            return
        case .produce(let registered):
            id = registered
        }
        // Registered before producing: the delivery report may arrive before produceva returns.
        let error =
            handle.withLease { rk in
                Self.produce(rk: rk, id: id, topic: topic, key: key, value: value, headers: headers)
            } ?? .closed("the producer")
        if let error, let completion = core.state.withLockedValue({ $0.withdraw(id) }) {
            completion(.notQueued(error))
        }
    }

    /// Enqueues a copy of the message with `rd_kafka_produceva`; returns `nil` on success.
    ///
    /// Headers go in as one application-built list (`RD_KAFKA_VTYPE_HEADERS`), which librdkafka
    /// owns only when the produce succeeds. Passing them one by one (`RD_KAFKA_VTYPE_HEADER`)
    /// makes librdkafka ≤ 2.8 free them twice when the produce fails after the message was built
    /// — an unknown topic, a topic it may not write (librdkafka#4627) — which crashes the process.
    static func produce(
        rk: OpaquePointer,
        id: UInt64,
        topic: String,
        key: [UInt8]?,
        value: [UInt8]?,
        headers: [KafkaHeader]
    ) -> KafkaError? {
        var headerList: OpaquePointer?
        if !headers.isEmpty {
            headerList = rd_kafka_headers_new(headers.count)
            for header in headers {
                let added = header.key.withCString { name in
                    withBytes(header.value) { pointer, count in rd_kafka_header_add(headerList, name, -1, pointer, count) }
                }
                if added != RD_KAFKA_RESP_ERR_NO_ERROR {
                    rd_kafka_headers_destroy(headerList)
                    return KafkaError(added, detail: "header \(header.key)")
                }
            }
        }
        let error = topic.withCString { topicName in
            withBytes(key) { keyPointer, keyCount in
                withBytes(value) { valuePointer, valueCount in
                    withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 6) { vus -> KafkaError? in
                        var count = 0
                        func append(_ type: rd_kafka_vtype_t, _ fill: (inout rd_kafka_vu_t) -> Void) {
                            var vu = rd_kafka_vu_t()
                            vu.vtype = type
                            fill(&vu)
                            vus.initializeElement(at: count, to: vu)
                            count += 1
                        }
                        append(RD_KAFKA_VTYPE_TOPIC) { $0.u.cstr = topicName }
                        append(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RD_KAFKA_MSG_F_COPY }
                        append(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = UnsafeMutableRawPointer(bitPattern: UInt(id)) }
                        append(RD_KAFKA_VTYPE_KEY) {
                            $0.u.mem.ptr = keyPointer.map { UnsafeMutableRawPointer(mutating: $0) }
                            $0.u.mem.size = keyCount
                        }
                        append(RD_KAFKA_VTYPE_VALUE) {
                            $0.u.mem.ptr = valuePointer.map { UnsafeMutableRawPointer(mutating: $0) }
                            $0.u.mem.size = valueCount
                        }
                        if let headerList { append(RD_KAFKA_VTYPE_HEADERS) { $0.u.headers = headerList } }
                        defer { vus.baseAddress.map { _ = $0.deinitialize(count: count) } }
                        guard let error = rd_kafka_produceva(rk, vus.baseAddress, count) else { return nil }
                        return KafkaError(consuming: error)
                    }
                }
            }
        }
        // On failure the list is still ours.
        if error != nil, let headerList { rd_kafka_headers_destroy(headerList) }
        return error
    }

    /// Calls `body` with a pointer and count for `bytes`: `nil` for `nil`, and a valid non-NULL
    /// pointer for an empty array (NULL would turn an empty value into a null one).
    private static func withBytes<Result>(
        _ bytes: [UInt8]?,
        _ body: (UnsafeRawPointer?, Int) -> Result
    ) -> Result {
        guard let bytes else { return body(nil, 0) }
        if bytes.isEmpty {
            var placeholder: UInt8 = 0
            return withUnsafeBytes(of: &placeholder) { body($0.baseAddress, 0) }
        }
        return bytes.withUnsafeBytes { body($0.baseAddress, $0.count) }
    }
}
