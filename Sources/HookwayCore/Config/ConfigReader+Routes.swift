extension ConfigReader {
    mutating func routes(_ value: JSONValue, at path: String) -> [Route] {
        guard case .array(let items) = value else {
            error(path, "expected a list of routes, found \(Self.typeName(value))")
            return []
        }
        var out: [Route] = []
        var names: [String: Int] = [:]
        for (i, item) in items.enumerated() {
            let p = "\(path)[\(i)]"
            let route = route(item, at: p)
            // Checked on the name as written, so a duplicate is reported even when either route
            // has other problems.
            if let name = item["name"]?.stringValue, !name.isEmpty {
                if let first = names[name] {
                    error("\(p).name", "duplicate route name \"\(name)\" (also \(path)[\(first)])")
                    continue
                }
                names[name] = i
            }
            if let route { out.append(route) }
        }
        return out
    }

    mutating func route(_ value: JSONValue, at path: String) -> Route? {
        guard let members = object(value, at: path, allowed: ["name", "match", "to", "$comment"]) else { return nil }
        let before = problems.count
        var route = Route(name: "", topics: [])
        if value["name"] == nil { error("\(path).name", "missing; every route needs a unique name") }
        if value["to"] == nil { error("\(path).to", "missing; list the topics this route publishes to") }
        for m in members {
            let p = Self.child(path, m.key)
            switch m.key {
            case "name": if let s = nonEmptyString(m.value, at: p) { route.name = s }
            case "match":
                guard let match = object(m.value, at: p, allowed: ["source", "type", "where"]) else { break }
                for mm in match {
                    let mp = Self.child(p, mm.key)
                    switch mm.key {
                    case "source": route.sourcePatterns = globs(mm.value, at: mp)
                    case "type": route.typePatterns = globs(mm.value, at: mp)
                    case "where": route.conditions = conditions(mm.value, at: mp)
                    default: break
                    }
                }
            case "to":
                guard let list = stringList(m.value, at: p) else { break }
                if list.isEmpty { error(p, "empty; list at least one topic") }
                for (i, t) in list.enumerated() {
                    let tp = m.value.stringValue != nil ? p : "\(p)[\(i)]"
                    if let problem = TopicTemplate.problem(in: t) { error(tp, problem) } else { route.topics.append(TopicTemplate(t)) }
                }
            default: break
            }
        }
        return problems[before...].contains(where: { $0.severity == .error }) ? nil : route
    }

    public mutating func globs(_ value: JSONValue, at path: String) -> [Glob] {
        guard let list = stringList(value, at: path) else { return [] }
        var out: [Glob] = []
        for (i, pattern) in list.enumerated() {
            let p = value.stringValue != nil ? path : "\(path)[\(i)]"
            if let problem = Glob.problem(in: pattern) { error(p, "bad glob \"\(pattern)\": \(problem)") } else { out.append(Glob(pattern)) }
        }
        return out
    }

    /// `where`: a list of `{ "field": "data.amount", "<op>": operand }`.
    mutating func conditions(_ value: JSONValue, at path: String) -> [Condition] {
        guard case .array(let items) = value else {
            error(path, "expected a list of conditions, found \(Self.typeName(value))")
            return []
        }
        var out: [Condition] = []
        for (i, item) in items.enumerated() {
            if let c = condition(item, at: "\(path)[\(i)]") { out.append(c) }
        }
        return out
    }

    mutating func condition(_ value: JSONValue, at path: String) -> Condition? {
        let operators = Condition.Operator.allCases.map(\.rawValue)
        guard let members = object(value, at: path, allowed: Set(operators + ["field"])) else { return nil }
        var field: String?
        if let f = value["field"] {
            field = nonEmptyString(f, at: "\(path).field")
        } else {
            error("\(path).field", "missing; name a CloudEvent field such as \"data.amount\"")
        }
        let ops = members.filter { $0.key != "field" && operators.contains($0.key) }
        guard ops.count == 1, let opMember = ops.first, let op = Condition.Operator(rawValue: opMember.key) else {
            error(
                path,
                ops.isEmpty
                    ? "missing operator; use one of \(operators.joined(separator: ", "))"
                    : "more than one operator (\(ops.map(\.key).joined(separator: ", "))); use one per condition"
            )
            return nil
        }
        let p = Self.child(path, opMember.key)
        var operand: Condition.Operand?
        switch op {
        case .eq, .ne:
            if let t = opMember.value.scalarText {
                operand = .text(t, numeric: opMember.value.numberLiteral != nil)
            } else {
                error(p, "expected a string, number or boolean, found \(Self.typeName(opMember.value))")
            }
        case .in:
            if case .array(let items) = opMember.value {
                var list: [String] = []
                for (i, item) in items.enumerated() {
                    if let t = item.scalarText { list.append(t) } else { error("\(p)[\(i)]", "expected a string, number or boolean") }
                }
                operand = .list(list)
            } else {
                error(p, "expected a list, found \(Self.typeName(opMember.value))")
            }
        case .gt, .gte, .lt, .lte:
            if let t = opMember.value.scalarText, case .bool = opMember.value {
                error(p, "not a decimal number: \(t)")
            } else if let t = opMember.value.scalarText, let d = ExactDecimal(t) {
                operand = .decimal(d)
            } else {
                error(
                    p,
                    "not a decimal number: \(opMember.value.scalarText.map { "\"\($0)\"" } ?? Self.typeName(opMember.value)); numeric comparisons need a decimal such as \"10000\" or \"0.5\""
                )
            }
        case .exists:
            if let b = bool(opMember.value, at: p) { operand = .flag(b) }
        }
        guard let field, let operand else { return nil }
        return Condition(field: field, op: op, operand: operand)
    }
}
