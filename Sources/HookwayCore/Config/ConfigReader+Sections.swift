extension ConfigReader {
    mutating func kafka(_ value: JSONValue, at path: String) -> KafkaSettings {
        var k = KafkaSettings()
        let allowed: Set<String> = [
            "brokers", "topics", "producer", "consumer", "unroutedTopic", "mismatchTopic", "outcomeTopic", "ackTimeoutMs", "cloudEvents",
        ]
        guard let members = object(value, at: path, allowed: allowed) else { return k }
        for m in members {
            let p = Self.child(path, m.key)
            switch m.key {
            case "brokers": k.brokers = nonEmptyString(m.value, at: p)
            case "topics":
                guard let t = object(m.value, at: p, allowed: ["partitions", "replicationFactor", "autoCreate", "maxAutoCreated"]) else { break }
                for tm in t {
                    let tp = Self.child(p, tm.key)
                    switch tm.key {
                    case "partitions": if let n = integer(tm.value, at: tp, min: 1, max: 10_000) { k.partitions = Int32(n) }
                    case "replicationFactor": if let n = integer(tm.value, at: tp, min: 1, max: 32) { k.replicationFactor = Int16(n) }
                    case "autoCreate": if let b = bool(tm.value, at: tp) { k.autoCreate = b }
                    case "maxAutoCreated": if let n = integer(tm.value, at: tp, min: 1, max: 1_000_000) { k.maxAutoCreated = n }
                    default: break
                    }
                }
            case "producer": k.producer = properties(m.value, at: p, owned: KafkaSettings.ownedProducerProperties)
            case "consumer": k.consumer = properties(m.value, at: p, owned: KafkaSettings.ownedConsumerProperties)
            case "unroutedTopic":
                if let s = nonEmptyString(m.value, at: p) {
                    if TopicTemplate.isValidTopicName(s) { k.unroutedTopic = s } else { error(p, "\"\(s)\" is not a valid Kafka topic name") }
                }
            case "mismatchTopic":
                if let s = nonEmptyString(m.value, at: p) {
                    if TopicTemplate.isValidTopicName(s) { k.mismatchTopic = s } else { error(p, "\"\(s)\" is not a valid Kafka topic name") }
                }
            case "outcomeTopic":
                if case .null = m.value {
                    k.outcomeTopic = nil
                } else if let s = nonEmptyString(m.value, at: p) {
                    if TopicTemplate.isValidTopicName(s) { k.outcomeTopic = s } else { error(p, "\"\(s)\" is not a valid Kafka topic name") }
                }
            case "ackTimeoutMs": if let n = integer(m.value, at: p, min: 100, max: 300_000) { k.ackTimeoutMs = n }
            case "cloudEvents":
                guard let c = object(m.value, at: p, allowed: ["mode"]) else { break }
                for cm in c where cm.key == "mode" {
                    let cp = Self.child(p, cm.key)
                    guard let text = string(cm.value, at: cp) else { continue }
                    if let mode = CloudEventsMode(rawValue: text) {
                        k.cloudEventsMode = mode
                    } else {
                        error(cp, "expected \"structured\" or \"binary\", found \"\(text)\"")
                    }
                }
            default: break
            }
        }
        return k
    }

    mutating func limits(_ value: JSONValue, at path: String) -> Limits {
        var l = Limits()
        guard let members = object(value, at: path, allowed: Limits.keys) else { return l }
        for m in members {
            let p = Self.child(path, m.key)
            switch m.key {
            case "maxBodyBytes": if let n = integer(m.value, at: p, min: 1, max: 1 << 30) { l.maxBodyBytes = n }
            case "readTimeoutMs": if let n = integer(m.value, at: p, min: 100, max: 3_600_000) { l.readTimeoutMs = n }
            case "shutdownTimeoutMs": if let n = integer(m.value, at: p, min: 0, max: 3_600_000) { l.shutdownTimeoutMs = n }
            case "headerTimeoutMs": if let n = integer(m.value, at: p, min: 100, max: 3_600_000) { l.headerTimeoutMs = n }
            case "idleTimeoutMs": if let n = integer(m.value, at: p, min: 100, max: 86_400_000) { l.idleTimeoutMs = n }
            case "maxConnections": if let n = integer(m.value, at: p, min: 1, max: 1_000_000) { l.maxConnections = n }
            case "maxRequestsPerConnection": if let n = integer(m.value, at: p, min: 1, max: 1_000_000_000) { l.maxRequestsPerConnection = n }
            case "maxAmountDigits": if let n = integer(m.value, at: p, min: 1, max: 10_000) { l.maxAmountDigits = n }
            case "trustedProxies": l.trustedProxies = cidrBlocks(m.value, at: p)
            case "proxyProtocol": if let b = bool(m.value, at: p) { l.proxyProtocol = b }
            default: break
            }
        }
        if l.proxyProtocol, l.trustedProxies.isEmpty {
            error(Self.child(path, "proxyProtocol"), "needs \"trustedProxies\": only a listed proxy may send a PROXY header")
        }
        return l
    }

    mutating func spool(_ value: JSONValue, at path: String) -> SpoolSettings {
        var s = SpoolSettings()
        guard let members = object(value, at: path, allowed: ["enabled", "path", "maxBytes", "fsync"]) else { return s }
        s.enabled = true
        s.path = "\(baseDirectory)/var/spool"
        for m in members {
            let p = Self.child(path, m.key)
            switch m.key {
            case "enabled": if let b = bool(m.value, at: p) { s.enabled = b }
            case "path": if let v = nonEmptyString(m.value, at: p) { s.path = v.hasPrefix("/") ? v : "\(baseDirectory)/\(v)" }
            case "maxBytes": if let n = integer(m.value, at: p, min: 1_048_576) { s.maxBytes = Int64(n) }
            case "fsync":
                if let v = string(m.value, at: p) {
                    if let mode = SpoolSettings.FsyncMode(rawValue: v) {
                        s.fsync = mode
                    } else {
                        error(p, "expected \"always\" or \"batch\", found \"\(v)\"")
                    }
                }
            default: break
            }
        }
        return s
    }
}

extension ConfigReader {
    /// A list of CIDR blocks (`allowFrom`, `trustedProxies`).
    public mutating func cidrBlocks(_ value: JSONValue, at path: String) -> [CIDRBlock] {
        guard case .array(let items) = value else {
            error(path, "expected a list of CIDR blocks, found \(Self.typeName(value))")
            return []
        }
        var blocks: [CIDRBlock] = []
        for (i, item) in items.enumerated() {
            guard let s = string(item, at: "\(path)[\(i)]") else { continue }
            if let block = CIDRBlock(s) {
                blocks.append(block)
            } else {
                error("\(path)[\(i)]", "\"\(s)\" is not a CIDR block such as 10.0.0.0/8 or 2001:db8::/32")
            }
        }
        return blocks
    }
}

extension ConfigReader {
    /// A body of `maxBodyBytes` must fit the producer's `message.max.bytes` with its envelope,
    /// or every large event would be accepted by HTTP only to be refused by Kafka.
    mutating func checkMessageSize(_ config: RoutesConfig) {
        guard let configured = config.kafka.producer["message.max.bytes"] else { return }
        guard let value = Int(configured), value > 0 else {
            error("$.kafka.producer[\"message.max.bytes\"]", "expected a positive integer, found \"\(configured)\"")
            return
        }
        let needed = config.limits.maxBodyBytes + KafkaSettings.envelopeReserveBytes
        if value < needed {
            error(
                "$.limits.maxBodyBytes",
                "a \(config.limits.maxBodyBytes)-byte body makes a Kafka message of up to about \(needed) bytes, more than kafka.producer message.max.bytes (\(value)); lower maxBodyBytes to \(max(1, value - KafkaSettings.envelopeReserveBytes)) or raise message.max.bytes"
            )
        }
    }
}
