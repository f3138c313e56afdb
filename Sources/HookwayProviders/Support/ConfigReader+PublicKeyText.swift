import HookwayCore

extension ConfigReader {
    /// A public key value: a literal, or the text an `env:`/`file:` reference resolves to.
    mutating func publicKeyText(_ value: JSONValue, at path: String) -> String? {
        guard let text = string(value, at: path) else { return nil }
        if let reference = SecretReference(text) { return resolve(reference, at: path)?.stringValue }
        return text
    }
}
