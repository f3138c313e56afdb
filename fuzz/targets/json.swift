// libFuzzer target: HookwayCore's JSON parser (JSONParser, JSONWriter, ExactDecimal.amountText).
//
// Invariants checked on every input, beyond "no crash, no sanitizer report":
// - a parsed document re-encodes (JSONWriter) to bytes that parse to the same value;
// - every top-level member span re-parses to that member's value;
// - the amount text of every number is nil or a plain decimal.
import HookwayCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let (value, spans) = try? JSONParser.parseWithSpans(bytes) else { return 0 }
    let encoded = JSONWriter.encode(value)
    guard let again = try? JSONParser.parse(encoded) else { fatalError("re-encoded document does not parse: \(String(decoding: encoded, as: UTF8.self))") }
    precondition(again == value, "re-encoded document differs")
    if case .object(let members) = value {
        precondition(spans.count == members.count, "span count \(spans.count) != member count \(members.count)")
        for (member, span) in zip(members, spans) {
            precondition(member.key == span.key, "span key differs")
            guard let sub = try? JSONParser.parse(Array(bytes[span.span])) else { fatalError("member span does not parse") }
            precondition(sub == member.value, "member span parses to another value")
        }
    }
    visit(value)
    return 0
}

func visit(_ value: JSONValue) {
    switch value {
    case .number(let n):
        if let text = ExactDecimal.amountText(from: value) {
            precondition(ExactDecimal.isPlainDecimal(text), "amount \(text) of \(n) is not plain")
        }
    case .string:
        _ = ExactDecimal.amountText(from: value)
    case .array(let items): items.forEach(visit)
    case .object(let members): members.forEach { visit($0.value) }
    default: break
    }
}
