import HookwayCore

extension ConfigReader {
    /// A public key value: a literal, or the text an `env:`/`file:` reference resolves to.
    mutating func publicKeyText(_ value: JSONValue, at path: String) -> String? {
        guard let text = string(value, at: path) else { return nil }
        if let reference = SecretReference(text) { return resolve(reference, at: path)?.stringValue }
        return text
    }
}

extension ConfigReader {
    /// A provider that signs every delivery needs at least one secret to check it with.
    mutating func requireSecrets(of source: SourceConfig, provider: String, at path: String) {
        if source.secrets.isEmpty { error("\(path).secrets", "\(provider) signs every delivery; list at least one secret") }
    }
}
