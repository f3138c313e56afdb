import HookwayKafka

extension KafkaEventPublisher {
    /// Creates unknown topics before a send when `kafka.topics.autoCreate` is on. Creating topics
    /// is a convenience: a cluster may forbid it (ACLs), not implement it, or be slow to answer.
    /// A failure is logged, the send goes ahead (a topic that really is missing fails the send
    /// itself), and creation is not asked for again for a while.
    func createTopicsIfNeeded(_ topics: [String], timeout: Duration) async {
        await create(state.withLockedValue { $0.topicsToCreate(topics, now: .now) }, timeout: timeout)
    }

    /// Creates `missing`, which ``PublisherStateMachine/topicsToCreate(_:now:force:)`` just
    /// marked as being created; see ``createTopicsIfNeeded(_:timeout:)``.
    func create(_ missing: [String], timeout: Duration) async {
        guard !missing.isEmpty else { return }
        do throws(KafkaError) {
            try await createTopics(missing, timeout: timeout)
        } catch {
            state.withLockedValue { $0.topicCreationFailed(missing, now: .now) }
            logger.warning(
                "cannot create topics; sending anyway (retrying creation in 60 s)",
                metadata: [
                    "topics": "\(missing.joined(separator: ","))", "error": "\(error)",
                ]
            )
        }
    }

    /// Creates `topics` now (idempotent). `force` asks the broker again even for topics created
    /// before (a broker that lost its data: the spool drainer uses it).
    func ensureTopics(_ topics: [String], force: Bool = false, timeout: Duration = .seconds(5)) async throws(KafkaError) {
        let missing = state.withLockedValue { $0.topicsToCreate(topics, now: .now, force: force) }
        guard !missing.isEmpty else { return }
        do throws(KafkaError) {
            try await createTopics(missing, timeout: timeout)
        } catch {
            state.withLockedValue { $0.topicCreationFailed(missing, now: .now) }
            throw error
        }
    }

    private func createTopics(_ names: [String], timeout: Duration) async throws(KafkaError) {
        let settings = state.withLockedValue { $0.topicSettings }
        try await admin.createTopics(
            names,
            partitions: settings.partitions,
            replicationFactor: settings.replicationFactor,
            timeout: min(timeout, .seconds(5))
        )
        state.withLockedValue { $0.topicsCreated(names) }
        logger.info("topics ready", metadata: ["topics": "\(names.joined(separator: ","))"])
    }
}
