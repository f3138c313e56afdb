extension ConfigReader {
    mutating func sources(_ value: JSONValue, at path: String, schema: RoutesSchema) -> ([String: SourceConfig], [String]) {
        guard let members = object(value, at: path) else { return ([:], []) }
        var out: [String: SourceConfig] = [:]
        var names: [String] = []
        for m in members {
            let p = Self.child(path, m.key)
            if m.key.isEmpty || !m.key.unicodeScalars.allSatisfy({ TopicTemplate.isTopicCharacter($0) }) {
                error(p, "source names are used in URLs and topics; use letters, digits, '.', '_' or '-'")
                continue
            }
            if let source = source(name: m.key, m.value, at: p, schema: schema) {
                out[m.key] = source
                names.append(m.key)
            }
        }
        return (out, names)
    }

    mutating func source(name: String, _ value: JSONValue, at path: String, schema: RoutesSchema) -> SourceConfig? {
        guard case .object = value else {
            _ = object(value, at: path)
            return nil
        }
        let known = schema.providerNames.joined(separator: ", ")
        var descriptor: (any ProviderDescriptor)?
        if let pv = value["provider"] {
            if let s = string(pv, at: "\(path).provider") {
                descriptor = schema.providers[s]
                if descriptor == nil {
                    var message = "unknown provider \"\(s)\"; known: \(known)"
                    if let guess = Self.suggestion(for: s, among: Set(schema.providerNames)) {
                        message += "; did you mean \"\(guess)\"?"
                    }
                    error("\(path).provider", message)
                }
            }
        } else {
            error("\(path).provider", "missing; one of \(known)")
        }
        let allowed = SourceKeys.common.union(
            descriptor?.optionKeys ?? schema.providers.values.reduce(into: Set<String>()) { $0.formUnion($1.optionKeys) }
        )
        guard let members = object(value, at: path, allowed: allowed) else { return nil }
        var source = SourceConfig(name: name, provider: descriptor?.name ?? "", traits: descriptor?.traits ?? ProviderTraits())
        let before = problems.count
        for m in members {
            let p = Self.child(path, m.key)
            switch m.key {
            case "secrets":
                guard case .array(let items) = m.value else {
                    error(p, "expected a list of \"env:NAME\" or \"file:PATH\" references, found \(Self.typeName(m.value))")
                    break
                }
                source.secrets = items.enumerated().compactMap { secret($1, at: "\(p)[\($0)]") }
            case "token": source.token = secret(m.value, at: p)
            case "allowFrom":
                source.allowFrom = cidrBlocks(m.value, at: p)
            case "toleranceSeconds": source.toleranceSeconds = integer(m.value, at: p, min: 0, max: 86_400 * 7)
            case "ackTimeoutMs": source.ackTimeoutMs = integer(m.value, at: p, min: 100, max: 300_000)
            case "api": source.api = apiSettings(m.value, at: p, provider: descriptor)
            case "trustTraceContext": source.trustTraceContext = bool(m.value, at: p) ?? false
            default: break
            }
        }
        guard let descriptor else { return nil }
        let own = members.filter { !SourceKeys.common.contains($0.key) }
        source.options = descriptor.readOptions(own, source: source, at: path, reader: &self)
        if hasErrors(since: before) { return nil }
        descriptor.checkAuthentication(of: source, at: path, reader: &self)
        return hasErrors(since: before) ? nil : source
    }
}
