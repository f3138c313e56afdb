/// One `where` condition of a route or posting rule: a dotted path into the CloudEvent and one
/// operator. Numeric operators compare exact decimals, never floats.
public struct Condition: Sendable, Hashable {
    public enum Operator: String, Sendable, CaseIterable { case eq, ne, `in`, gt, gte, lt, lte, exists }

    public enum Operand: Sendable, Hashable {
        /// Compared as text; `numeric` (the file wrote a JSON number) also accepts an equal
        /// decimal (`100.0` eq `100`). A string operand never matches `"00123"` to `"123"`.
        case text(String, numeric: Bool = false)
        case list([String])
        case decimal(ExactDecimal)
        case flag(Bool)
    }

    public var field: String
    public var op: Operator
    public var operand: Operand

    public init(field: String, op: Operator, operand: Operand) {
        self.field = field
        self.op = op
        self.operand = operand
    }

    /// Evaluates against an event. A missing field satisfies only `ne` and `exists: false`.
    public func isSatisfied(by event: Event) -> Bool {
        let value = event.field(atPath: field)
        switch (op, operand) {
        case (.exists, .flag(let wanted)):
            let present: Bool
            if let value, value != .null { present = true } else { present = false }
            return present == wanted
        case (.eq, .text(let t, let numeric)):
            return Condition.equals(value, t, numeric: numeric)
        case (.ne, .text(let t, let numeric)):
            return !Condition.equals(value, t, numeric: numeric)
        case (.in, .list(let items)):
            return items.contains { Condition.equals(value, $0, numeric: false) }
        case (.gt, .decimal(let d)), (.gte, .decimal(let d)), (.lt, .decimal(let d)), (.lte, .decimal(let d)):
            guard let text = value?.scalarText, let v = ExactDecimal(text) else { return false }
            let c = ExactDecimal.compare(v, d)
            switch op {
            case .gt: return c > 0
            case .gte: return c >= 0
            case .lt: return c < 0
            default: return c <= 0
            }
        default:
            return false
        }
    }

    /// Text equality; with a numeric operand, exact decimal equality too (`"100.0"` eq `100`).
    static func equals(_ value: JSONValue?, _ expected: String, numeric: Bool) -> Bool {
        guard let text = value?.scalarText else { return false }
        if text == expected { return true }
        if numeric, let a = ExactDecimal(text), let b = ExactDecimal(expected) { return a == b }
        return false
    }
}

extension Condition {
    /// Parses a `--where` argument in the routes language: one condition object
    /// (`{"field":"data.amount","gte":100}`) or a list of them; the problems say what is wrong.
    public static func parse(_ text: String) -> (conditions: [Condition], problems: [String]) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(Array(text.utf8))
        } catch {
            return ([], ["not JSON: \(error)"])
        }
        var reader = ConfigReader(environment: [:], baseDirectory: "/")
        let list: JSONValue = if case .array = value { value } else { .array([value]) }
        let conditions = reader.conditions(list, at: "where")
        return (conditions, reader.problems.map(\.description))
    }
}
