import Testing

@testable import HookwayCore

@Suite("JSONParser")
struct JSONParserTests {
    private func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try JSONParser.parse(Array(text.utf8))
    }

    private func parseError(_ bytes: [UInt8]) -> JSONParseError? {
        do {
            _ = try JSONParser.parse(bytes)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Valid documents

    @Test(arguments: [
        ("null", JSONValue.null),
        ("true", .bool(true)),
        ("false", .bool(false)),
        ("0", .number("0")),
        ("\"\"", .string("")),
        ("[]", .array([])),
        ("{}", .object([])),
        (" \t\r\n [ 1 , \"a\" , null ] \n", .array([.number("1"), .string("a"), .null])),
        (#"{"a":{"b":[true,false]}}"#, .object([JSONMember("a", .object([JSONMember("b", .array([.bool(true), .bool(false)]))]))])),
    ])
    func validDocuments(text: String, expected: JSONValue) throws {
        #expect(try parse(text) == expected)
    }

    @Test func objectMembersKeepDocumentOrder() throws {
        let value = try parse(#"{"z":1,"a":2,"m":3}"#)
        #expect(value.members?.map(\.key) == ["z", "a", "m"])
    }

    @Test(arguments: [
        "0", "-0", "1", "-1", "0.000123456789012345678", "100.10", "1e3", "1E+3", "1.5e-7", "-12.340e10",
        "123456789012345678901234567890", "3.141592653589793238462643383279",
    ])
    func numberLiteralsAreKeptExactly(literal: String) throws {
        #expect(try parse(literal) == .number(literal))
        #expect(try parse("{\"n\":\(literal)}")["n"]?.numberLiteral == literal)
    }

    @Test func duplicateKeysAreKeptOnRequestAndLookupTakesTheLast() throws {
        let value = try JSONParser.parse(Array(#"{"a":1,"b":2,"a":3}"#.utf8), duplicates: .keep)
        #expect(value.members?.count == 3)
        #expect(value["a"] == .number("3"))
        #expect(value["b"] == .number("2"))
        #expect(value["missing"] == nil)
    }

    @Test func byteOrderMarkIsSkipped() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(#"{"a":"b"}"#.utf8)
        #expect(try JSONParser.parse(bytes)["a"] == .string("b"))
    }

    @Test func byteOrderMarkAloneIsNotADocument() {
        let error = parseError([0xEF, 0xBB, 0xBF])
        #expect(error?.offset == 3)
    }

    @Test(arguments: [
        (#""a\"b\\c\/d\b\f\n\r\t""#, "a\"b\\c/d\u{08}\u{0C}\n\r\t"),
        (#""\u0041\u00e9\u4e2d""#, "Aé中"),
        (#""\ud83d\ude00""#, "😀"),
        (#""\u0000""#, "\u{0}"),
        ("\"héllo wörld 😀\"", "héllo wörld 😀"),
        (#""plain then \n escape""#, "plain then \n escape"),
    ])
    func stringEscapes(text: String, expected: String) throws {
        #expect(try parse(text) == .string(expected))
    }

    @Test func valueAtPathFollowsObjectsAndArrayIndices() throws {
        let value = try parse(#"{"data":{"items":[{"id":"x"},{"id":"y"}],"chain":"BTC"}}"#)
        #expect(value.value(atPath: "data.chain") == .string("BTC"))
        #expect(value.value(atPath: "data.items.1.id") == .string("y"))
        #expect(value.value(atPath: "data.items.2.id") == nil)
        #expect(value.value(atPath: "data.items.x") == nil)
        #expect(value.value(atPath: "data.chain.more") == nil)
    }

    @Test func scalarText() throws {
        #expect(JSONValue.string("a").scalarText == "a")
        #expect(JSONValue.number("1.50").scalarText == "1.50")
        #expect(JSONValue.bool(true).scalarText == "true")
        #expect(JSONValue.null.scalarText == nil)
        #expect(JSONValue.array([]).scalarText == nil)
        #expect(JSONValue.object([]).scalarText == nil)
    }

    // MARK: Rejected documents

    /// Each bad document with the byte offset the parser must report.
    @Test(arguments: [
        ("", 0),
        ("   ", 3),
        ("{", 1),
        ("[1,]", 3),
        ("[1 2]", 3),
        (#"{"a" 1}"#, 5),
        (#"{"a":1,}"#, 7),
        (#"{a:1}"#, 1),
        ("01", 1),
        ("-", 1),
        ("-a", 1),
        ("1.", 2),
        ("1.e3", 2),
        ("1e", 2),
        ("1e+", 3),
        ("+1", 0),
        (".5", 0),
        ("nul", 0),
        ("tru e", 0),
        ("NaN", 0),
        ("{} {}", 3),
        ("[] x", 3),
        ("\"abc", 4),
        (#""\x""#, 3),
        (#""\u12G4""#, 5),
        (#""\u12""#, 3),
        ("'a'", 0),
    ])
    func malformedDocumentsAreRejectedWithOffset(text: String, offset: Int) {
        let error = parseError(Array(text.utf8))
        #expect(error != nil, "\(text) was accepted")
        #expect(error?.offset == offset, "\(text): \(error.map(String.init(describing:)) ?? "")")
    }

    @Test func trailingGarbageIsRejected() {
        let error = parseError(Array(#"{"a":1} garbage"#.utf8))
        #expect(error?.offset == 8)
        #expect(error?.reason.contains("after the document") == true)
    }

    @Test(arguments: [
        [UInt8(ascii: "\""), 0xFF, UInt8(ascii: "\"")],  // never valid in UTF-8
        [UInt8(ascii: "\""), 0xC3, UInt8(ascii: "\"")],  // truncated two-byte sequence
        [UInt8(ascii: "\""), 0xC0, 0xAF, UInt8(ascii: "\"")],  // overlong '/'
        [UInt8(ascii: "\""), 0xED, 0xA0, 0x80, UInt8(ascii: "\"")],  // UTF-8-encoded surrogate
        [UInt8(ascii: "\""), 0xF4, 0x90, 0x80, 0x80, UInt8(ascii: "\"")],  // beyond U+10FFFF
        Array(#"["ok", "a\n"#.utf8) + [0xFE, UInt8(ascii: "\""), UInt8(ascii: "]")],  // after an escape
    ])
    func invalidUTF8IsRejected(bytes: [UInt8]) {
        let error = parseError(bytes)
        #expect(error != nil)
        #expect(error?.reason.contains("UTF-8") == true)
    }

    @Test func invalidUTF8OutsideStringsIsRejectedWhereItStands() {
        let error = parseError([UInt8(ascii: "["), 0xFF, UInt8(ascii: "]")])
        #expect(error?.offset == 1)
    }

    @Test func invalidUTF8ReportsTheStringsOffset() {
        let error = parseError(Array(#"{"k":"ab"#.utf8) + [0xFF] + Array(#""}"#.utf8))
        #expect(error?.offset == 6)
    }

    @Test(arguments: [
        #""\ud800""#,
        #""\ud800x""#,
        #""\udc00""#,
        #""\ud800\u0041""#,
        #""\ud800\ud800""#,
        #""a\udfffb""#,
    ])
    func loneSurrogatesAreRejected(text: String) {
        let error = parseError(Array(text.utf8))
        #expect(error?.reason == "lone surrogate", "\(text)")
    }

    @Test(arguments: [UInt8](0x00...0x1F))
    func rawControlCharactersInStringsAreRejected(control: UInt8) {
        let bytes = Array(#"{"a":"x"#.utf8) + [control] + Array(#"y"}"#.utf8)
        let error = parseError(bytes)
        #expect(error?.offset == 7)
        #expect(error?.reason.contains("control character") == true)
        // The same after an escape (the slow path).
        let escaped = Array(#"["\n"#.utf8) + [control] + Array(#""]"#.utf8)
        #expect(parseError(escaped)?.offset == 4)
    }

    @Test func depthUpToTheLimitIsAccepted() throws {
        let depth = JSONParser.maxDepth
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        _ = try parse(text)
        let objects = String(repeating: #"{"a":"#, count: depth - 1) + "{}" + String(repeating: "}", count: depth - 1)
        _ = try parse(objects)
    }

    @Test func depthBeyondTheLimitIsRejectedWithOffset() {
        let depth = JSONParser.maxDepth + 1
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let error = parseError(Array(text.utf8))
        #expect(error?.offset == JSONParser.maxDepth)
        #expect(error?.reason.contains("deeper than 128") == true)
    }

    @Test func hostileDepthDoesNotCrash() {
        let text = String(repeating: "[", count: 100_000)
        #expect(parseError(Array(text.utf8)) != nil)
    }

    // MARK: Top-level spans

    @Test func topLevelSpansAreTheExactBytesOfEachMember() throws {
        let text = #"{ "id" : "x1", "payload":{"amount": 1.50, "nested": {"a": [1, 2]}} , "n":-0.0e1}"#
        let bytes = Array(text.utf8)
        let (value, spans) = try JSONParser.parseWithSpans(bytes)
        #expect(spans.map(\.key) == ["id", "payload", "n"])
        let texts = spans.map { String(decoding: bytes[$0.span], as: UTF8.self) }
        #expect(texts == [#""x1""#, #"{"amount": 1.50, "nested": {"a": [1, 2]}}"#, "-0.0e1"])
        #expect(value["payload"]?["amount"] == .number("1.50"))
    }

    @Test func topLevelSpansCountTheByteOrderMark() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(#"{"p":{"a":1}}"#.utf8)
        let (_, spans) = try JSONParser.parseWithSpans(bytes)
        #expect(spans.count == 1)
        #expect(String(decoding: bytes[spans[0].span], as: UTF8.self) == #"{"a":1}"#)
    }

    @Test func topLevelSpansAreEmptyForNonObjects() throws {
        let (_, spans) = try JSONParser.parseWithSpans(Array(#"[{"a":1}]"#.utf8))
        #expect(spans.isEmpty)
    }

    @Test func duplicateTopLevelKeysEachGetASpan() throws {
        let bytes = Array(#"{"a":1,"a":22}"#.utf8)
        let (_, spans) = try JSONParser.parseWithSpans(bytes, duplicates: .keep)
        #expect(spans.map { String(decoding: bytes[$0.span], as: UTF8.self) } == ["1", "22"])
    }

    /// A duplicate anywhere — top level, nested, in an array's object, in a large object —
    /// refuses the document by default, at the offset of the second name.
    @Test(arguments: [
        (#"{"a":1,"a":2}"#, 7),
        (#"{"x":{"b":true,"c":null,"b":false}}"#, 24),
        (#"[{"k":"v"},{"k":"v","k":"w"}]"#, 20),
        ("{" + (0..<40).map { "\"m\($0)\":\($0)" }.joined(separator: ",") + #","m17":0}"#, 341),
    ])
    func duplicateMembersAreRefusedByDefault(document: String, offset: Int) {
        let error = parseError(Array(document.utf8))
        #expect(error?.reason.hasPrefix("duplicate member name") == true, "\(String(describing: error))")
        #expect(error?.offset == offset)
    }

    @Test func sameNameInDifferentObjectsIsNotADuplicate() throws {
        let value = try parse(#"{"a":{"a":1},"b":[{"a":2},{"a":3}]}"#)
        #expect(value.value(atPath: "a.a") == .number("1"))
    }

    /// 50,000 distinct members parse in linear time (the set takes over past a dozen).
    @Test func manyDistinctMembersStayFast() throws {
        let document = "{" + (0..<50_000).map { "\"k\($0)\":0" }.joined(separator: ",") + "}"
        let started = ContinuousClock.now
        let value = try parse(document)
        #expect(value.members?.count == 50_000)
        #expect(ContinuousClock.now - started < .seconds(2))
    }
}
