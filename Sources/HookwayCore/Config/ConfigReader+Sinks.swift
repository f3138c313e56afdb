extension ConfigReader {
    static let commonSinkKeys: Set<String> = [
        "kind", "topics", "group", "retry", "deadLetterTopic", "maxInFlight", "concurrency", "rateLimit", "circuitBreaker", "$comment",
    ]

    mutating func sinks(_ value: JSONValue, at path: String, schema: RoutesSchema) -> ([String: SinkConfig], [String]) {
        guard let members = object(value, at: path) else { return ([:], []) }
        var out: [String: SinkConfig] = [:]
        var names: [String] = []
        for m in members {
            let p = Self.child(path, m.key)
            if m.key.isEmpty || !m.key.unicodeScalars.allSatisfy({ TopicTemplate.isTopicCharacter($0) }) {
                error(p, "sink names are used in group and topic names; use letters, digits, '.', '_' or '-'")
                continue
            }
            if let sink = sink(name: m.key, m.value, at: p, schema: schema) {
                out[m.key] = sink
                names.append(m.key)
            }
        }
        return (out, names)
    }

    mutating func sink(name: String, _ value: JSONValue, at path: String, schema: RoutesSchema) -> SinkConfig? {
        guard case .object = value else {
            _ = object(value, at: path)
            return nil
        }
        let known = schema.sinkKinds.joined(separator: ", ")
        var descriptor: (any SinkDescriptor)?
        if let kv = value["kind"] {
            if let s = string(kv, at: "\(path).kind") {
                descriptor = schema.sinks[s]
                if descriptor == nil { error("\(path).kind", "unknown sink kind \"\(s)\"; known: \(known)") }
            }
        } else {
            error("\(path).kind", "missing; one of \(known)")
        }
        let allowed = Self.commonSinkKeys.union(
            descriptor?.optionKeys ?? schema.sinks.values.reduce(into: Set<String>()) { $0.formUnion($1.optionKeys) }
        )
        guard let members = object(value, at: path, allowed: allowed) else { return nil }
        let before = problems.count
        var sink = SinkConfig(name: name, kind: descriptor?.kind ?? SinkKind(rawValue: ""), topics: [], options: value, baseDirectory: baseDirectory)
        if value["topics"] == nil { error("\(path).topics", "missing; list the topics this sink consumes") }
        for m in members {
            let p = Self.child(path, m.key)
            switch m.key {
            case "topics":
                guard let list = stringList(m.value, at: p) else { break }
                if list.isEmpty { error(p, "empty; list at least one topic") }
                for (i, t) in list.enumerated() where !TopicTemplate.isValidTopicName(t) {
                    error("\(p)[\(i)]", "\"\(t)\" is not a valid Kafka topic name")
                }
                sink.topics = list
            case "group": if let s = nonEmptyString(m.value, at: p) { sink.group = s }
            case "deadLetterTopic":
                if let s = nonEmptyString(m.value, at: p) {
                    if TopicTemplate.isValidTopicName(s) { sink.deadLetterTopic = s } else { error(p, "\"\(s)\" is not a valid Kafka topic name") }
                }
            case "maxInFlight", "concurrency":
                if m.key == "maxInFlight", value["concurrency"] != nil {
                    error(p, "maxInFlight is concurrency's older name; give one of them")
                }
                if let n = integer(m.value, at: p, min: 1, max: 10_000) { sink.maxInFlight = n }
            case "rateLimit": sink.rateLimit = rateLimit(m.value, at: p)
            case "circuitBreaker": sink.circuitBreaker = circuitBreaker(m.value, at: p)
            case "retry": sink.retry = retry(m.value, at: p)
            default: break
            }
        }
        if let breaker = sink.circuitBreaker, breaker.consecutiveFailures > sink.retry.attempts {
            warning(
                "\(path).circuitBreaker.consecutiveFailures",
                "\(breaker.consecutiveFailures) is more than retry.attempts (\(sink.retry.attempts)): with one delivery in flight, an event is dead-lettered before the circuit can open"
            )
        }
        descriptor?.validateOptions(value, sink: sink, at: path, reader: &self)
        if descriptor == nil || hasErrors(since: before) { return nil }
        return sink
    }

    public mutating func retry(_ value: JSONValue, at path: String) -> RetryPolicy {
        var r = RetryPolicy()
        guard let members = object(value, at: path, allowed: ["attempts", "backoffMs", "maxBackoffMs"]) else { return r }
        for m in members {
            let p = Self.child(path, m.key)
            switch m.key {
            case "attempts": if let n = integer(m.value, at: p, min: 1, max: 1000) { r.attempts = n }
            case "backoffMs": if let n = integer(m.value, at: p, min: 0, max: 3_600_000) { r.backoffMs = n }
            case "maxBackoffMs": if let n = integer(m.value, at: p, min: 0, max: 86_400_000) { r.maxBackoffMs = n }
            default: break
            }
        }
        if r.maxBackoffMs < r.backoffMs {
            error("\(path).maxBackoffMs", "must be at least backoffMs (\(r.backoffMs)), found \(r.maxBackoffMs)")
        }
        return r
    }

    /// `{"perSecond": 50, "burst": 10}`.
    mutating func rateLimit(_ value: JSONValue, at path: String) -> SinkRateLimit? {
        guard let members = object(value, at: path, allowed: ["perSecond", "burst"]) else { return nil }
        guard value["perSecond"] != nil else {
            error("\(path).perSecond", "missing; deliveries per second (for example 10, or 0.5 for one every two seconds)")
            return nil
        }
        var limit = SinkRateLimit(perSecond: 1, burst: 1)
        for m in members {
            let p = Self.child(path, m.key)
            switch m.key {
            case "perSecond":
                guard case .number(let text) = m.value, let rate = Double(text), rate >= 0.001, rate <= 100_000 else {
                    error(p, "must be a number from 0.001 to 100000 (deliveries per second)")
                    return nil
                }
                limit.perSecond = rate
            case "burst": if let n = integer(m.value, at: p, min: 1, max: 100_000) { limit.burst = n }
            default: break
            }
        }
        return limit
    }

    /// `{"consecutiveFailures": 5, "failureRatio": 0.5, "minimumCalls": 20, "windowMs": 60000,
    /// "probeIntervalMs": 30000}`; `{}` for those defaults.
    mutating func circuitBreaker(_ value: JSONValue, at path: String) -> CircuitBreakerSettings? {
        let keys: Set<String> = ["consecutiveFailures", "failureRatio", "minimumCalls", "windowMs", "probeIntervalMs"]
        guard let members = object(value, at: path, allowed: keys) else { return nil }
        var settings = CircuitBreakerSettings()
        for m in members {
            let p = Self.child(path, m.key)
            switch m.key {
            case "consecutiveFailures": if let n = integer(m.value, at: p, min: 1, max: 10_000) { settings.consecutiveFailures = n }
            case "minimumCalls": if let n = integer(m.value, at: p, min: 1, max: 1_000_000) { settings.minimumCalls = n }
            case "windowMs": if let n = integer(m.value, at: p, min: 1_000, max: 3_600_000) { settings.windowMs = n }
            case "probeIntervalMs": if let n = integer(m.value, at: p, min: 100, max: 3_600_000) { settings.probeIntervalMs = n }
            case "failureRatio":
                guard case .number(let text) = m.value, let ratio = Double(text), ratio > 0, ratio <= 1 else {
                    error(p, "must be a number above 0 and at most 1 (the share of failed deliveries)")
                    break
                }
                settings.failureRatio = ratio
            default: break
            }
        }
        return settings
    }

    /// Checks across sections: sink topics that no route can produce.
    mutating func crossCheck(_ config: RoutesConfig) {
        let producible = config.routes.flatMap(\.topics).map(\.producibleTopics)
        for name in config.sinkNames {
            guard let sink = config.sinks[name] else { continue }
            for (i, topic) in sink.topics.enumerated() {
                // Hookway writes these itself: unrouted events, confirmations' mismatches, outcomes.
                let own = [config.kafka.unroutedTopic, config.kafka.mismatchTopic] + (config.kafka.outcomeTopic.map { [$0] } ?? [])
                if own.contains(topic) || producible.contains(where: { $0.matches(topic) }) { continue }
                warning(
                    "\(Self.child(Self.child("$.sinks", name), "topics"))[\(i)]",
                    "no route can ever produce \"\(topic)\"; this sink will receive nothing from Hookway"
                )
            }
        }
    }
}
