extension ConfigReader {
    static let apiKeys: Set<String> = ["baseUrl", "credentials", "rateLimitPerMinute", "timeoutMs", "paths", "settings", "pollEvery"]

    /// Reads a source's `api` entry against its provider's ``APIDescriptor``.
    mutating func apiSettings(_ value: JSONValue, at path: String, provider: (any ProviderDescriptor)?) -> APISettings? {
        guard let members = object(value, at: path, allowed: Self.apiKeys) else { return nil }
        guard let provider else { return nil }
        guard let descriptor = provider.api else {
            error(path, "provider \"\(provider.name)\" has no API client in Hookway; remove \"api\"")
            return nil
        }
        let before = problems.count
        var api = APISettings(baseURL: descriptor.defaultBaseURL, rateLimitPerMinute: descriptor.defaultRateLimitPerMinute)
        var sawCredentials = false
        for m in members {
            let p = Self.child(path, m.key)
            switch m.key {
            case "baseUrl":
                guard let text = nonEmptyString(m.value, at: p) else { break }
                guard text.hasPrefix("https://") || text.hasPrefix("http://") else {
                    error(p, "expected an http:// or https:// URL, found \"\(text)\"")
                    break
                }
                api.baseURL = text.hasSuffix("/") ? String(text.dropLast()) : text
            case "credentials":
                sawCredentials = true
                let known = Set(descriptor.requiredCredentials + descriptor.optionalCredentials)
                guard let entries = object(m.value, at: p, allowed: known) else { break }
                for entry in entries {
                    if let secret = secret(entry.value, at: Self.child(p, entry.key)) { api.credentials[entry.key] = secret }
                }
                for name in descriptor.requiredCredentials where entries.first(where: { $0.key == name }) == nil {
                    error(Self.child(p, name), "missing; \(provider.name)'s API needs \(descriptor.requiredCredentials.joined(separator: ", "))")
                }
            case "rateLimitPerMinute":
                api.rateLimitPerMinute = integer(m.value, at: p, min: 1, max: 100_000) ?? api.rateLimitPerMinute
            case "timeoutMs":
                api.timeoutMs = integer(m.value, at: p, min: 100, max: 300_000) ?? api.timeoutMs
            case "paths":
                guard let entries = object(m.value, at: p, allowed: Set(descriptor.paths.keys)) else { break }
                for entry in entries {
                    guard let text = nonEmptyString(entry.value, at: Self.child(p, entry.key)) else { continue }
                    guard text.hasPrefix("/") else {
                        error(Self.child(p, entry.key), "a path starts with \"/\", found \"\(text)\"")
                        continue
                    }
                    api.paths[entry.key] = text
                }
            case "settings":
                guard let entries = object(m.value, at: p, allowed: Set(descriptor.settings.keys)) else { break }
                for entry in entries {
                    if let text = nonEmptyString(entry.value, at: Self.child(p, entry.key)) { api.settings[entry.key] = text }
                }
            case "pollEvery":
                api.pollEvery = duration(m.value, at: p, min: .seconds(10))
            default: break
            }
        }
        if !sawCredentials {
            error(Self.child(path, "credentials"), "missing; \(provider.name)'s API needs \(descriptor.requiredCredentials.joined(separator: ", "))")
        }
        if api.baseURL.isEmpty {
            error(Self.child(path, "baseUrl"), "missing; \(provider.name) has no single documented host (each customer has its own)")
        }
        for (name, required) in descriptor.settings where required && api.settings[name] == nil {
            error(Self.child(Self.child(path, "settings"), name), "missing; \(provider.name)'s API paths need it")
        }
        return hasErrors(since: before) ? nil : api
    }

    /// The longest duration a routes file may give (30 days): beyond it, sleeping on it would trap.
    static let maxDurationSeconds = 30 * 86_400

    /// A duration written `"90s"`, `"5m"`, `"1h"` or as whole seconds, at most 30 days.
    public mutating func duration(_ value: JSONValue, at path: String, min: Duration) -> Duration? {
        var seconds: Int?
        switch value {
        case .number:
            seconds = integer(value, at: path, min: 0, max: Self.maxDurationSeconds)
        case .string(let text):
            let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600]
            if let unit = text.last, let factor = units[unit], let n = Int(text.dropLast()), n >= 0, n <= Self.maxDurationSeconds / factor {
                seconds = n * factor
            } else {
                error(path, "expected a duration like \"30s\", \"5m\" or \"1h\", found \"\(text)\"")
                return nil
            }
        default:
            error(path, "expected a duration like \"30s\", \"5m\" or \"1h\", found \(Self.typeName(value))")
            return nil
        }
        guard let seconds else { return nil }
        let duration = Duration.seconds(seconds)
        guard duration >= min else {
            error(path, "at least \(min) apart, so the provider's rate limit is not spent on polling")
            return nil
        }
        return duration
    }
}
