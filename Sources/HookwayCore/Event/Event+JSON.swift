/// Why bytes read from a topic are not a Hookway CloudEvent.
public struct EventDecodingError: HookwayError {
    public var code: ErrorCode { .eventMalformed }
    public var message: String
    public var isRetriable: Bool { false }
    public var description: String { message }

    public init(message: String) { self.message = message }
}

extension ErrorCode {
    /// Bytes read from a topic are not a Hookway CloudEvent.
    public static let eventMalformed: ErrorCode = "event_malformed"
}

extension Event {
    /// The CloudEvent in structured mode as JSON, attributes in a fixed order.
    public func jsonBytes() -> [UInt8] {
        var w = JSONWriter(reservingCapacity: 512)
        w.appendRaw(Array(#"{"specversion":"1.0","id":"#.utf8))
        w.appendString(id)
        w.appendRaw(Array(#","source":"#.utf8))
        w.appendString(source)
        w.appendRaw(Array(#","type":"#.utf8))
        w.appendString(type)
        if let subject {
            w.appendRaw(Array(#","subject":"#.utf8))
            w.appendString(subject)
        }
        w.appendRaw(Array(#","time":"#.utf8))
        w.appendString(time)
        w.appendRaw(Array(#","datacontenttype":"application/json","authmethod":"#.utf8))
        w.appendString(authMethod.rawValue)
        w.appendRaw(Array(#","receivedat":"#.utf8))
        w.appendString(receivedAt)
        if let traceContext {
            w.appendRaw(Array(#","traceparent":"#.utf8))
            w.appendString(traceContext.traceparent)
            if let tracestate = traceContext.tracestate {
                w.appendRaw(Array(#","tracestate":"#.utf8))
                w.appendString(tracestate)
            }
        }
        for (name, value) in confirmation?.attributes ?? [] {
            w.appendRaw(CollectionOfOne(UInt8(ascii: ",")))
            w.appendString(name)
            w.appendRaw(CollectionOfOne(UInt8(ascii: ":")))
            w.appendString(value)
        }
        w.appendRaw(Array(#","data":"#.utf8))
        data.write(to: &w)
        w.appendRaw(CollectionOfOne(UInt8(ascii: "}")))
        return w.bytes
    }

    /// The whole CloudEvent as a JSON tree (what route conditions and templates look into).
    public var jsonValue: JSONValue {
        var members: [JSONMember] = [
            JSONMember("specversion", .string(Event.specVersion)),
            JSONMember("id", .string(id)),
            JSONMember("source", .string(source)),
            JSONMember("type", .string(type)),
        ]
        if let subject { members.append(JSONMember("subject", .string(subject))) }
        members += [
            JSONMember("time", .string(time)),
            JSONMember("datacontenttype", .string(Event.dataContentType)),
            JSONMember("authmethod", .string(authMethod.rawValue)),
            JSONMember("receivedat", .string(receivedAt)),
        ]
        if let traceContext {
            members.append(JSONMember("traceparent", .string(traceContext.traceparent)))
            if let tracestate = traceContext.tracestate { members.append(JSONMember("tracestate", .string(tracestate))) }
        }
        members += (confirmation?.attributes ?? []).map { JSONMember($0.0, .string($0.1)) }
        members.append(JSONMember("data", data.jsonValue))
        return .object(members)
    }

    /// Looks up a dotted path (`type`, `data.amount`, `data.payload.data.chain`) without building
    /// the whole tree for the common attributes.
    public func field(atPath path: String) -> JSONValue? {
        switch path {
        case "id": return .string(id)
        case "source": return .string(source)
        case "type": return .string(type)
        case "subject": return subject.map(JSONValue.string)
        case "time": return .string(time)
        case "specversion": return .string(Event.specVersion)
        case "datacontenttype": return .string(Event.dataContentType)
        case "authmethod": return .string(authMethod.rawValue)
        case "receivedat": return .string(receivedAt)
        case "confirmation": return confirmation.map { .string($0.result.rawValue) }
        case "data.provider": return .string(data.provider)
        case "data.source": return .string(data.source)
        case "data.event": return .string(data.event)
        case "data.status": return data.status.map(JSONValue.string)
        case "data.amount": return data.amount.map(JSONValue.string)
        case "data.amountSource": return data.amountSource.map(JSONValue.string)
        case "data.currency": return data.currency.map(JSONValue.string)
        case "data.reference": return data.reference.map(JSONValue.string)
        case "data.entity.kind": return data.entity.map { .string($0.kind) }
        case "data.entity.id": return data.entity.map { .string($0.id) }
        case "data.payload": return data.payload
        default:
            if path.hasPrefix("data.payload.") {
                return data.payload.value(atPath: path.dropFirst("data.payload.".count))
            }
            return jsonValue.value(atPath: path)
        }
    }

    /// Reads a CloudEvent written by ``jsonBytes()`` (or any structured-mode CloudEvent 1.0 with
    /// Hookway's `data`).
    public static func decode(_ bytes: [UInt8]) throws(EventDecodingError) -> Event {
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            throw EventDecodingError(message: "not JSON: \(error)")
        }
        return try decode(root: root)
    }

    /// A CloudEvent from its JSON object (structured mode, or binary mode's headers and data).
    static func decode(root: JSONValue) throws(EventDecodingError) -> Event {
        guard case .object = root else { throw EventDecodingError(message: "not a JSON object") }
        func required(_ key: String) throws(EventDecodingError) -> String {
            guard let v = root[key]?.stringValue else { throw EventDecodingError(message: "missing string attribute \"\(key)\"") }
            return v
        }
        guard try required("specversion") == Event.specVersion else {
            throw EventDecodingError(message: "specversion is not \"1.0\"")
        }
        guard let dataValue = root["data"], case .object = dataValue else {
            throw EventDecodingError(message: "missing object attribute \"data\"")
        }
        let data = EventData(
            provider: dataValue["provider"]?.stringValue ?? "",
            source: dataValue["source"]?.stringValue ?? "",
            event: dataValue["event"]?.stringValue ?? "",
            entity: dataValue["entity"].flatMap { e in
                guard let kind = e["kind"]?.stringValue, let id = e["id"]?.stringValue else { return nil }
                return EntityRef(kind: kind, id: id)
            },
            status: dataValue["status"]?.stringValue,
            amount: dataValue["amount"]?.stringValue,
            amountSource: dataValue["amountSource"]?.stringValue,
            currency: dataValue["currency"]?.stringValue,
            reference: dataValue["reference"]?.stringValue,
            payload: dataValue["payload"] ?? .null
        )
        var event = Event(
            id: try required("id"),
            source: try required("source"),
            type: try required("type"),
            subject: root["subject"]?.stringValue,
            time: root["time"]?.stringValue ?? "",
            authMethod: root["authmethod"]?.stringValue.flatMap(AuthMethod.init(rawValue:)) ?? .none,
            receivedAt: root["receivedat"]?.stringValue ?? "",
            data: data
        )
        event.confirmation = Confirmation(cloudEvent: root)
        event.traceContext = TraceContext(traceparent: root["traceparent"]?.stringValue, tracestate: root["tracestate"]?.stringValue)
        return event
    }
}

extension EventData {
    /// Writes `data` as JSON straight into `w` (the same bytes as ``jsonValue``, without
    /// building the tree first: an event is written once per publish).
    public func write(to w: inout JSONWriter) {
        func member(_ key: StaticString, _ value: String) {
            w.appendRaw(UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
            w.appendString(value)
        }
        member(#"{"provider":"#, provider)
        member(#","source":"#, source)
        member(#","event":"#, event)
        if let entity {
            member(#","entity":{"kind":"#, entity.kind)
            member(#","id":"#, entity.id)
            w.appendRaw(CollectionOfOne(UInt8(ascii: "}")))
        }
        if let status { member(#","status":"#, status) }
        if let amount { member(#","amount":"#, amount) }
        if let amountSource { member(#","amountSource":"#, amountSource) }
        if let currency { member(#","currency":"#, currency) }
        if let reference { member(#","reference":"#, reference) }
        w.appendRaw(Array(#","payload":"#.utf8))
        if let payloadText {
            w.appendRaw(payloadText)
        } else {
            w.append(payload)
        }
        w.appendRaw(CollectionOfOne(UInt8(ascii: "}")))
    }

    /// `data` as JSON, fields in contract order, unsent fields omitted.
    public var jsonValue: JSONValue {
        var members: [JSONMember] = [
            JSONMember("provider", .string(provider)),
            JSONMember("source", .string(source)),
            JSONMember("event", .string(event)),
        ]
        if let entity {
            members.append(JSONMember("entity", .object([JSONMember("kind", .string(entity.kind)), JSONMember("id", .string(entity.id))])))
        }
        if let status { members.append(JSONMember("status", .string(status))) }
        if let amount { members.append(JSONMember("amount", .string(amount))) }
        if let amountSource { members.append(JSONMember("amountSource", .string(amountSource))) }
        if let currency { members.append(JSONMember("currency", .string(currency))) }
        if let reference { members.append(JSONMember("reference", .string(reference))) }
        members.append(JSONMember("payload", payload))
        return .object(members)
    }
}
