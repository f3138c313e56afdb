import Testing

@testable import HookwayCore

@Suite("Event")
struct EventTests {
    static let payload: JSONValue = .object([
        JSONMember("event", .string("funding")),
        JSONMember(
            "payload",
            .object([
                JSONMember("amount", .number("100.10")),
                JSONMember("details", .object([JSONMember("chain", .string("BTC")), JSONMember("tags", .array([.string("a"), .string("b")]))])),
                JSONMember("flag", .bool(false)),
                JSONMember("nothing", .null),
            ])
        ),
    ])

    static func sampleEvent(time: String? = nil, entity: EntityRef? = EntityRef(kind: "funding", id: "f-1")) -> Event {
        Event(
            id: "evt-1",
            data: EventData(
                provider: "bitso",
                source: "bitso-mx",
                event: "funding.complete",
                entity: entity,
                status: "complete",
                amount: "100.10",
                currency: "mxn",
                reference: "ref-9",
                payload: payload
            ),
            time: time,
            authMethod: .token,
            receivedAt: Timestamp(millisecondsSinceEpoch: 1_709_210_096_789)
        )
    }

    @Test func initDerivesSourceTypeSubjectAndTime() {
        let event = Self.sampleEvent()
        #expect(event.source == "/webhooks/bitso-mx")
        #expect(event.type == "bitso.funding.complete")
        #expect(event.subject == "f-1")
        #expect(event.receivedAt == "2024-02-29T12:34:56.789Z")
        #expect(event.time == event.receivedAt)
        #expect(event.partitionKey == "f-1")
        #expect(Self.sampleEvent(time: "2024-01-01T00:00:00Z").time == "2024-01-01T00:00:00Z")
    }

    @Test func partitionKeyFallsBackToTheId() {
        let event = Self.sampleEvent(entity: nil)
        #expect(event.subject == nil)
        #expect(event.partitionKey == "evt-1")
    }

    @Test func jsonBytesIsTheExactContractText() {
        let expected =
            #"{"specversion":"1.0","id":"evt-1","source":"/webhooks/bitso-mx","type":"bitso.funding.complete","subject":"f-1","#
            + #""time":"2024-02-29T12:34:56.789Z","datacontenttype":"application/json","authmethod":"token","#
            + #""receivedat":"2024-02-29T12:34:56.789Z","data":{"provider":"bitso","source":"bitso-mx","event":"funding.complete","#
            + #""entity":{"kind":"funding","id":"f-1"},"status":"complete","amount":"100.10","currency":"mxn","reference":"ref-9","#
            + #""payload":{"event":"funding","payload":{"amount":100.10,"details":{"chain":"BTC","tags":["a","b"]},"flag":false,"nothing":null}}}}"#
        #expect(String(decoding: Self.sampleEvent().jsonBytes(), as: UTF8.self) == expected)
    }

    /// `data` has two writers: the tree routes look into, and the bytes written straight for
    /// Kafka. They must say the same, field for field, whatever is present.
    @Test func dataWrittenStraightIsTheTreesText() {
        var sparse = Self.sampleEvent(entity: nil).data
        sparse.status = nil
        sparse.amount = nil
        sparse.currency = nil
        sparse.reference = nil
        var derived = Self.sampleEvent().data
        derived.amountSource = "centAmount"
        derived.provider = "quote\"and\\back\u{1}"
        for data in [Self.sampleEvent().data, sparse, derived] {
            var w = JSONWriter()
            data.write(to: &w)
            #expect(String(decoding: w.bytes, as: UTF8.self) == String(decoding: JSONWriter.encode(data.jsonValue), as: UTF8.self))
        }
    }

    /// A webhook's payload is its body: the CloudEvent carries the provider's bytes as they
    /// came (whitespace, number spelling and all), not the tree written again.
    @Test func aBodysPayloadIsWrittenVerbatimAndReadsBackEqual() throws {
        let body = Array("\u{FEFF}{ \"event\" : \"funding\",\r\n \"amount\": 1.50E2, \"s\": \"\\u00e9/\" }\n".utf8)
        let tree = try JSONParser.parse(body)
        let data = EventData(provider: "p", source: "s", event: "e", payload: tree, payloadBody: body)
        #expect(data.payloadText.map(Array.init) == Array(body.dropFirst(3)), "the byte-order mark the parser skips is dropped")
        var w = JSONWriter()
        data.write(to: &w)
        let text = String(decoding: w.bytes, as: UTF8.self)
        #expect(text.hasSuffix(#","payload":{ "event" : "funding","# + "\r\n" + #" "amount": 1.50E2, "s": "\u00e9/" }"# + "\n}"))
        // Parsing the written data gives the same tree as writing the tree would have.
        #expect(try JSONParser.parse(w.bytes) == data.jsonValue)

        let event = Event(id: "x", data: data, authMethod: .signature, receivedAt: Timestamp(millisecondsSinceEpoch: 0))
        let decoded = try Event.decode(event.jsonBytes())
        #expect(decoded == event, "events compare by their payload trees")
        #expect(decoded.data.payloadText == nil)

        var edited = data
        edited.payload = .null
        #expect(edited.payloadText == nil, "a changed payload is no longer the body")
        var w2 = JSONWriter()
        edited.write(to: &w2)
        #expect(String(decoding: w2.bytes, as: UTF8.self).hasSuffix(#","payload":null}"#))
    }

    @Test func jsonBytesOmitsUnsentFields() {
        let event = Event(
            id: "x",
            data: EventData(provider: "p", source: "s", event: "e", payload: .null),
            authMethod: .none,
            receivedAt: Timestamp(millisecondsSinceEpoch: 0)
        )
        let expected =
            #"{"specversion":"1.0","id":"x","source":"/webhooks/s","type":"p.e","time":"1970-01-01T00:00:00.000Z","#
            + #""datacontenttype":"application/json","authmethod":"none","receivedat":"1970-01-01T00:00:00.000Z","#
            + #""data":{"provider":"p","source":"s","event":"e","payload":null}}"#
        #expect(String(decoding: event.jsonBytes(), as: UTF8.self) == expected)
    }

    @Test func jsonBytesIsStableAndMatchesTheTree() {
        let event = Self.sampleEvent()
        #expect(event.jsonBytes() == event.jsonBytes())
        #expect(event.jsonBytes() == JSONWriter.encode(event.jsonValue))
        #expect(
            event.jsonValue.members?.map(\.key) == [
                "specversion", "id", "source", "type", "subject", "time", "datacontenttype", "authmethod", "receivedat", "data",
            ]
        )
    }

    @Test func jsonBytesEscapesHostileText() throws {
        var event = Self.sampleEvent()
        event.data.reference = "quote \" newline \n nul \u{0} 😀"
        event.subject = "\\"
        let parsed = try JSONParser.parse(event.jsonBytes())
        #expect(parsed["data"]?["reference"] == .string("quote \" newline \n nul \u{0} 😀"))
        #expect(parsed["subject"] == .string("\\"))
    }

    @Test(arguments: [AuthMethod.signature, .token, .ip, .none])
    func decodeRoundTrips(authMethod: AuthMethod) throws {
        var event = Self.sampleEvent(time: "2024-02-29T10:00:00Z")
        event.authMethod = authMethod
        #expect(try Event.decode(event.jsonBytes()) == event)
    }

    @Test func decodeRoundTripsAMinimalEvent() throws {
        let event = Event(
            id: "x",
            data: EventData(provider: "p", source: "s", event: "e", payload: .array([])),
            authMethod: .ip,
            receivedAt: Timestamp(millisecondsSinceEpoch: 1)
        )
        #expect(try Event.decode(event.jsonBytes()) == event)
    }

    @Test(arguments: [
        ("not json", "not JSON"),
        ("[]", "not a JSON object"),
        (#"{"specversion":"0.3","id":"a","source":"s","type":"t","data":{}}"#, "specversion"),
        (#"{"specversion":"1.0","source":"s","type":"t","data":{}}"#, "\"id\""),
        (#"{"specversion":"1.0","id":"a","source":"s","type":"t"}"#, "\"data\""),
        (#"{"specversion":"1.0","id":"a","source":"s","type":"t","data":"x"}"#, "\"data\""),
        (#"{"specversion":"1.0","id":1,"source":"s","type":"t","data":{}}"#, "\"id\""),
    ])
    func decodeRejects(text: String, messageContains: String) {
        let error = #expect(throws: EventDecodingError.self) {
            _ = try Event.decode(Array(text.utf8))
        }
        #expect(error?.message.contains(messageContains) == true, "\(error?.message ?? "")")
    }

    @Test(arguments: [
        ("id", JSONValue.string("evt-1") as JSONValue?),
        ("source", .string("/webhooks/bitso-mx")),
        ("type", .string("bitso.funding.complete")),
        ("subject", .string("f-1")),
        ("time", .string("2024-02-29T12:34:56.789Z")),
        ("specversion", .string("1.0")),
        ("datacontenttype", .string("application/json")),
        ("authmethod", .string("token")),
        ("receivedat", .string("2024-02-29T12:34:56.789Z")),
        ("data.provider", .string("bitso")),
        ("data.source", .string("bitso-mx")),
        ("data.event", .string("funding.complete")),
        ("data.status", .string("complete")),
        ("data.amount", .string("100.10")),
        ("data.currency", .string("mxn")),
        ("data.reference", .string("ref-9")),
        ("data.entity.kind", .string("funding")),
        ("data.entity.id", .string("f-1")),
        ("data.entity", .object([JSONMember("kind", .string("funding")), JSONMember("id", .string("f-1"))])),
        ("data.payload.event", .string("funding")),
        ("data.payload.payload.amount", .number("100.10")),
        ("data.payload.payload.details.chain", .string("BTC")),
        ("data.payload.payload.details.tags.1", .string("b")),
        ("data.payload.payload.details.tags.2", nil),
        ("data.payload.payload.flag", .bool(false)),
        ("data.payload.payload.nothing", .null),
        ("data.payload.missing", nil),
        ("data.payload.event.deeper", nil),
        ("data.nope", nil),
        ("nope", nil),
        ("", nil),
    ])
    func fieldAtPath(path: String, expected: JSONValue?) {
        #expect(Self.sampleEvent().field(atPath: path) == expected)
    }

    @Test func fieldAtPathAgreesWithTheWholeTree() {
        let event = Self.sampleEvent()
        let paths = [
            "id", "source", "type", "subject", "time", "specversion", "datacontenttype", "authmethod", "receivedat", "data.provider",
            "data.source", "data.event", "data.status", "data.amount", "data.currency", "data.reference", "data.entity.kind",
            "data.entity.id", "data.payload", "data.payload.payload.details.chain",
        ]
        for path in paths {
            #expect(event.field(atPath: path) == event.jsonValue.value(atPath: path), "\(path)")
        }
    }

    @Test func fieldAtPathForAbsentOptionals() {
        let event = Event(
            id: "x",
            data: EventData(provider: "p", source: "s", event: "e", payload: .string("raw")),
            authMethod: .none,
            receivedAt: Timestamp(millisecondsSinceEpoch: 0)
        )
        for path in ["subject", "data.status", "data.amount", "data.currency", "data.reference", "data.entity.kind", "data.entity.id"] {
            #expect(event.field(atPath: path) == nil, "\(path)")
        }
        #expect(event.field(atPath: "data.payload") == .string("raw"))
        #expect(event.field(atPath: "data.payload.x") == nil)
    }

    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (1, "1970-01-01T00:00:00.001Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (-1000, "1969-12-31T23:59:59.000Z"),
        (-86_400_000, "1969-12-31T00:00:00.000Z"),
        (-2_208_988_800_000, "1900-01-01T00:00:00.000Z"),
        (68_169_600_000, "1972-02-29T00:00:00.000Z"),
        (946_684_799_999, "1999-12-31T23:59:59.999Z"),
        (951_782_400_000, "2000-02-29T00:00:00.000Z"),
        (951_868_799_999, "2000-02-29T23:59:59.999Z"),
        (1_078_012_800_000, "2004-02-29T00:00:00.000Z"),
        (1_456_704_000_000, "2016-02-29T00:00:00.000Z"),
        (1_582_934_400_000, "2020-02-29T00:00:00.000Z"),
        (1_709_210_096_789, "2024-02-29T12:34:56.789Z"),
        (1_735_689_600_000, "2025-01-01T00:00:00.000Z"),
        (4_107_456_000_000, "2100-02-28T00:00:00.000Z"),
        (4_107_542_400_000, "2100-03-01T00:00:00.000Z"),
        (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
    ])
    func timestampRFC3339(milliseconds: Int64, expected: String) {
        #expect(Timestamp(millisecondsSinceEpoch: milliseconds).rfc3339 == expected)
    }

    @Test func timestampSecondsFloorsNegativeTimes() {
        #expect(Timestamp(millisecondsSinceEpoch: 1999).seconds == 1)
        #expect(Timestamp(millisecondsSinceEpoch: -1).seconds == -1)
        #expect(Timestamp(millisecondsSinceEpoch: -1000).seconds == -1)
        #expect(Timestamp(millisecondsSinceEpoch: -1001).seconds == -2)
    }

    @Test func timestampNowIsRecentAndOrdered() {
        let a = Timestamp.now()
        let b = Timestamp.now()
        #expect(a <= b)
        #expect(a.millisecondsSinceEpoch > 1_700_000_000_000)
        #expect(a.rfc3339.count == 24)
    }
}
