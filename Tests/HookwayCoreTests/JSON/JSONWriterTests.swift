import Testing

@testable import HookwayCore

@Suite("JSONWriter")
struct JSONWriterTests {
    @Test(arguments: [
        ("plain", #""plain""#),
        ("", #""""#),
        ("quote \" backslash \\ slash /", #""quote \" backslash \\ slash /""#),
        ("\n\r\t\u{08}\u{0C}", #""\n\r\t\b\f""#),
        ("\u{0}\u{1}\u{1F}", #""\u0000\u0001\u001f""#),
        ("\u{7F}", "\"\u{7F}\""),
        ("héllo 中 😀", "\"héllo 中 😀\""),
        ("\u{2028}", "\"\u{2028}\""),
    ])
    func stringEscaping(input: String, expected: String) {
        var w = JSONWriter()
        w.appendString(input)
        #expect(String(decoding: w.bytes, as: UTF8.self) == expected)
    }

    @Test func numbersAreWrittenWithTheirLiteralText() {
        let value = JSONValue.array([.number("0.000123456789012345678"), .number("1E+3"), .number("-0"), .number("100.10")])
        #expect(value.jsonText == "[0.000123456789012345678,1E+3,-0,100.10]")
    }

    @Test func objectsKeepMemberOrderAndDuplicates() {
        let value = JSONValue.object([
            JSONMember("z", .null), JSONMember("a", .bool(true)), JSONMember("z", .bool(false)),
            JSONMember("nested", .object([JSONMember("list", .array([.string("x"), .array([])]))])),
            JSONMember("empty", .object([])),
        ])
        #expect(value.jsonText == #"{"z":null,"a":true,"z":false,"nested":{"list":["x",[]]},"empty":{}}"#)
    }

    @Test func appendRawIsCopiedVerbatim() {
        var w = JSONWriter(reservingCapacity: 4)
        w.appendRaw(Array("{\"a\":".utf8))
        w.append(.number("1"))
        w.appendRaw(CollectionOfOne(UInt8(ascii: "}")))
        #expect(String(decoding: w.bytes, as: UTF8.self) == #"{"a":1}"#)
    }

    @Test(arguments: [
        #"{"a":1,"b":[true,false,null],"c":{"d":"e\u0000\"\\"},"e":-1.5e-10}"#,
        #"[[[[]]],{},"",0,"😀 \ud83d\ude00 \u00e9"]"#,
        #"{"payload":{"amount":0.000123456789012345678,"k":"v","k":"w"}}"#,
        "\"\\u001f\\b\\f\\n\\r\\t\\/\"",
    ])
    func parseWriteParseRoundTrips(text: String) throws {
        // Duplicates kept: the writer must round-trip whatever the parser can hold.
        let first = try JSONParser.parse(Array(text.utf8), duplicates: .keep)
        let written = JSONWriter.encode(first)
        let second = try JSONParser.parse(written, duplicates: .keep)
        #expect(second == first)
        // Writing is a fixed point after the first pass.
        #expect(JSONWriter.encode(second) == written)
    }

    @Test func everyScalarRangeRoundTrips() throws {
        var scalars = ""
        for v in stride(from: 0, through: 0x10FFFF, by: 97) {
            if let s = Unicode.Scalar(UInt32(v)) { scalars.unicodeScalars.append(s) }
        }
        let value = JSONValue.object([JSONMember(scalars, .string(scalars))])
        #expect(try JSONParser.parse(JSONWriter.encode(value)) == value)
    }

    @Test func webhookErrorBodyIsEscapedJSON() throws {
        let error = WebhookError.unknownSource("a\"b")
        let body = try JSONParser.parse(error.jsonBody)
        #expect(body["error"]?["code"] == .string("unknown_source"))
        #expect(body["error"]?["message"] == .string("no source named \"a\"b\" in the routes file"))
        #expect(error.status == 404)
    }
}
