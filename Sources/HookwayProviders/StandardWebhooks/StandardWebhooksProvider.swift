public import HookwayCore

/// Standard Webhooks in routes.json: `publicKeys` (ed25519 `whpk_` keys for `v1a`),
/// `eventField` and `fields` (where the sender's payload keeps the event name and data).
public struct StandardWebhooksProvider: ProviderDescriptor {
    public static let name = "standardwebhooks"
    public var name: String { Self.name }
    public let optionKeys: Set<String> = ["eventField", "fields", "publicKeys"]
    /// The `fields` a source may map.
    static let fieldNames: Set<String> = ["entityId", "entityKind", "status", "amount", "currency", "reference", "time"]

    public init() {}

    public func readOptions(_ members: [JSONMember], source: SourceConfig, at path: String, reader: inout ConfigReader) -> any ProviderOptions {
        var options = StandardWebhooksOptions()
        for m in members {
            let p = ConfigReader.child(path, m.key)
            switch m.key {
            case "publicKeys": options.ed25519PublicKeys = reader.ed25519PublicKeys(m.value, at: p)
            case "eventField": if let s = reader.nonEmptyString(m.value, at: p) { options.eventField = s }
            case "fields":
                guard let fields = reader.object(m.value, at: p, allowed: Self.fieldNames) else { break }
                for f in fields {
                    if let s = reader.nonEmptyString(f.value, at: ConfigReader.child(p, f.key)) { options.fields[f.key] = s }
                }
            default: break
            }
        }
        return options
    }

    public func checkAuthentication(of source: SourceConfig, at path: String, reader: inout ConfigReader) {
        let keys = source.options(as: StandardWebhooksOptions.self)?.ed25519PublicKeys ?? []
        if source.secrets.isEmpty, keys.isEmpty {
            reader.error(path, "\(name) signs every delivery; list at least one secret (v1) or public key (v1a)")
        }
    }
}

/// Standard Webhooks' own keys of a source.
public struct StandardWebhooksOptions: ProviderOptions {
    /// ed25519 public keys (32 raw bytes each, from `whpk_…` values) that verify `v1a` signatures.
    public var ed25519PublicKeys: [[UInt8]]
    /// The payload field holding the event type (default `type`).
    public var eventField: String
    /// Payload paths for `entityId`, `entityKind`, `status`, `amount`, `currency`,
    /// `reference`, `time`.
    public var fields: [String: String]

    public init(ed25519PublicKeys: [[UInt8]] = [], eventField: String = "type", fields: [String: String] = [:]) {
        self.ed25519PublicKeys = ed25519PublicKeys
        self.eventField = eventField
        self.fields = fields
    }
}

extension SourceConfig {
    /// This source's StandardWebhooks options (the defaults when it has none).
    var standardWebhooks: StandardWebhooksOptions { options(as: StandardWebhooksOptions.self) ?? StandardWebhooksOptions() }
}
