extension Outcome {
    /// The Kafka message value: one JSON object, members without a value left out.
    public var json: JSONValue {
        var members: [JSONMember] = [
            JSONMember("eventid", .string(eventID)), JSONMember("kind", .string(kind.rawValue)),
        ]
        if let sink { members.append(JSONMember("sink", .string(sink))) }
        members.append(JSONMember("at", .string(at)))
        members.append(JSONMember("attempt", .number(String(attempt))))
        members.append(JSONMember("replay", .bool(replay)))
        if let code { members.append(JSONMember("code", .string(code))) }
        if let message { members.append(JSONMember("message", .string(message))) }
        if let result { members.append(JSONMember("result", .string(result))) }
        if !topics.isEmpty { members.append(JSONMember("topics", .array(topics.map(\.json)))) }
        if let deadLetter { members.append(JSONMember("deadletter", deadLetter.json)) }
        if let summary { members.append(JSONMember("event", summary.json)) }
        return .object(members)
    }

    /// The message value's bytes.
    public var jsonBytes: [UInt8] { JSONWriter.encode(json) }

    /// Reads an outcome message; `nil` names what is wrong.
    public init(json value: JSONValue) throws(OutcomeDecodingError) {
        guard let eventID = value["eventid"]?.stringValue, !eventID.isEmpty else { throw OutcomeDecodingError("no eventid") }
        guard let kindText = value["kind"]?.stringValue, let kind = Kind(rawValue: kindText) else {
            throw OutcomeDecodingError("unknown kind \(value["kind"]?.scalarText ?? "(none)")")
        }
        guard let at = value["at"]?.stringValue, Timestamp(rfc3339: at) != nil else { throw OutcomeDecodingError("no RFC 3339 at") }
        self.eventID = eventID
        self.kind = kind
        self.at = at
        sink = value["sink"]?.stringValue
        attempt = value["attempt"]?.numberLiteral.flatMap { Int($0) } ?? 0
        if case .bool(let b)? = value["replay"] { replay = b } else { replay = false }
        code = value["code"]?.stringValue
        message = value["message"]?.stringValue
        result = value["result"]?.stringValue
        if case .array(let items)? = value["topics"] { topics = items.compactMap(Position.init(json:)) } else { topics = [] }
        deadLetter = value["deadletter"].flatMap(Position.init(json:))
        summary = value["event"].flatMap(Summary.init(json:))
    }

    /// Reads an outcome message's bytes.
    public init(bytes: [UInt8]) throws(OutcomeDecodingError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw OutcomeDecodingError("not JSON: \(error)")
        }
        try self.init(json: value)
    }
}

/// An outcome message that cannot be read.
public struct OutcomeDecodingError: HookwayError {
    public var message: String
    public var code: ErrorCode { "outcome_malformed" }
    public var isRetriable: Bool { false }
    public var description: String { "outcome: \(message)" }

    public init(_ message: String) { self.message = message }
}

extension Outcome.Position {
    var json: JSONValue {
        .object([
            JSONMember("topic", .string(topic)), JSONMember("partition", .number(String(partition))),
            JSONMember("offset", .number(String(offset))),
        ])
    }

    init?(json value: JSONValue) {
        guard let topic = value["topic"]?.stringValue,
            let partition = value["partition"]?.numberLiteral.flatMap({ Int32($0) }),
            let offset = value["offset"]?.numberLiteral.flatMap({ Int64($0) })
        else { return nil }
        self.init(topic: topic, partition: partition, offset: offset)
    }
}

extension Outcome.Summary {
    var json: JSONValue {
        var members: [JSONMember] = [JSONMember("source", .string(source)), JSONMember("type", .string(type))]
        if let subject { members.append(JSONMember("subject", .string(subject))) }
        members += [
            JSONMember("time", .string(time)), JSONMember("receivedat", .string(receivedAt)),
            JSONMember("authmethod", .string(authMethod)),
        ]
        // Money stays a decimal string.
        if let amount { members.append(JSONMember("amount", .string(amount))) }
        if let currency { members.append(JSONMember("currency", .string(currency))) }
        if let status { members.append(JSONMember("status", .string(status))) }
        return .object(members)
    }

    init?(json value: JSONValue) {
        guard let source = value["source"]?.stringValue, let type = value["type"]?.stringValue,
            let time = value["time"]?.stringValue, let receivedAt = value["receivedat"]?.stringValue
        else { return nil }
        self.init(
            source: source,
            type: type,
            subject: value["subject"]?.stringValue,
            time: time,
            receivedAt: receivedAt,
            authMethod: value["authmethod"]?.stringValue ?? "none",
            amount: value["amount"]?.stringValue,
            currency: value["currency"]?.stringValue,
            status: value["status"]?.stringValue
        )
    }
}
