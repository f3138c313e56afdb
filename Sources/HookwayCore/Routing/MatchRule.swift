/// The `match` object shared by routes and posting rules: source globs, type globs and `where`
/// conditions, all of which must hold.
public struct MatchRule: Sendable, Hashable {
    public var sourcePatterns: [Glob]
    public var typePatterns: [Glob]
    public var conditions: [Condition]

    public init(sourcePatterns: [Glob] = [], typePatterns: [Glob] = [], conditions: [Condition] = []) {
        self.sourcePatterns = sourcePatterns
        self.typePatterns = typePatterns
        self.conditions = conditions
    }

    public func matches(_ event: Event) -> Bool {
        if !sourcePatterns.isEmpty, !sourcePatterns.contains(where: { $0.matches(event.data.source) }) { return false }
        if !typePatterns.isEmpty, !typePatterns.contains(where: { $0.matches(event.type) }) { return false }
        return conditions.allSatisfy { $0.isSatisfied(by: event) }
    }
}

extension ConfigReader {
    public mutating func matchRule(_ value: JSONValue, at path: String) -> MatchRule {
        var rule = MatchRule()
        guard let match = object(value, at: path, allowed: ["source", "type", "where"]) else { return rule }
        for m in match {
            let p = Self.child(path, m.key)
            switch m.key {
            case "source": rule.sourcePatterns = globs(m.value, at: p)
            case "type": rule.typePatterns = globs(m.value, at: p)
            case "where": rule.conditions = conditions(m.value, at: p)
            default: break
            }
        }
        return rule
    }

    public mutating func fieldTemplate(_ value: JSONValue, at path: String) -> FieldTemplate? {
        guard let s = nonEmptyString(value, at: path) else { return nil }
        guard let t = FieldTemplate(s) else {
            error(path, "bad template \"\(s)\": unbalanced braces or an empty {reference}; \(TemplateSyntax.hint)")
            return nil
        }
        return t
    }
}
