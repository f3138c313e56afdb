import Foundation

/// One entry of `sources` in routes.json, validated and with every reference resolved.
///
/// Common keys are typed; provider-specific keys (Bit Capital's `signedPath`, Bitso's
/// `publicKeys`, Koywe's `validation`, Standard Webhooks' `eventField`/`fields`) too, because
/// `routes check` validates them without knowing the adapters.
public struct SourceConfig: Sendable {
    /// The source name: the key in `sources` and the `{source}` of `/webhooks/{source}`.
    public var name: String
    /// Provider kind: `bitcapital`, `bitpowr`, `bitso`, `koywe`, `bitnob`, `standardwebhooks`.
    public var provider: String
    /// Signing secrets, any of which verifies (rotation).
    public var secrets: [Secret]
    /// The URL token for `/webhooks/{source}/{token}`.
    public var token: Secret?
    /// Peer addresses allowed to deliver; empty allows any.
    public var allowFrom: [CIDRBlock]
    /// Overrides the provider's timestamp tolerance.
    public var toleranceSeconds: Int?
    /// Bit Capital: the path the provider signed, when a proxy rewrites it.
    public var signedPath: String?
    /// Bitso: RSA public keys (PEM text) by key id; when present a signature is required.
    /// Given in routes.json as `{"<key id>": "file:….pem"}` or as one `file:` reference to the
    /// JSON Bitso's "List webhook public keys" endpoint returns.
    public var publicKeys: [String: String]
    /// Standard Webhooks: ed25519 public keys (32 raw bytes each, from `whpk_…` values) that
    /// verify `v1a` signatures.
    public var ed25519PublicKeys: [[UInt8]]
    /// Koywe: answers the pre-trade validation callback.
    public var validation: ValidationCallbackConfig?
    /// Standard Webhooks: the payload field holding the event type (default `type`).
    public var eventField: String
    /// Standard Webhooks: payload paths for `entityId`, `entityKind`, `status`, `amount`,
    /// `currency`, `reference`, `time`.
    public var fields: [String: String]
    /// How long to wait for Kafka's acknowledgement before answering 503 (or spooling).
    public var ackTimeoutMs: Int?

    public init(
        name: String, provider: String, secrets: [Secret] = [], token: Secret? = nil, allowFrom: [CIDRBlock] = [],
        toleranceSeconds: Int? = nil, signedPath: String? = nil, publicKeys: [String: String] = [:],
        ed25519PublicKeys: [[UInt8]] = [], validation: ValidationCallbackConfig? = nil, eventField: String = "type", fields: [String: String] = [:],
        ackTimeoutMs: Int? = nil
    ) {
        self.name = name
        self.provider = provider
        self.secrets = secrets
        self.token = token
        self.allowFrom = allowFrom
        self.toleranceSeconds = toleranceSeconds
        self.signedPath = signedPath
        self.publicKeys = publicKeys
        self.ed25519PublicKeys = ed25519PublicKeys
        self.validation = validation
        self.eventField = eventField
        self.fields = fields
        self.ackTimeoutMs = ackTimeoutMs
    }
}

/// Koywe's validation callback (seed 003): who may trade.
public struct ValidationCallbackConfig: Sendable {
    /// The expected `Authorization: Bearer …` value.
    public var bearer: Secret?
    /// Allowed e-mail addresses (lower-cased) and `*@domain` patterns.
    public var allowEmails: [String]

    public init(bearer: Secret?, allowEmails: [String]) {
        self.bearer = bearer
        self.allowEmails = allowEmails
    }

    /// True when `email` (trimmed, lower-cased) equals an entry or matches `*@domain`.
    public func allows(_ email: String) -> Bool {
        let e = email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        for entry in allowEmails {
            if entry.hasPrefix("*@") {
                if e.hasSuffix(String(entry.dropFirst(1))), e.count > entry.count - 1 { return true }
            } else if entry == e {
                return true
            }
        }
        return false
    }
}

/// The provider kinds Hookway ships adapters for, with the source keys each accepts.
public enum ProviderKind: String, Sendable, CaseIterable {
    case bitcapital, bitpowr, bitso, koywe, bitnob, standardwebhooks

    static let commonKeys: Set<String> = ["provider", "secrets", "token", "allowFrom", "toleranceSeconds", "ackTimeoutMs"]

    /// Keys of a `sources` entry valid for this provider.
    public var allowedKeys: Set<String> {
        switch self {
        case .bitcapital: return Self.commonKeys.union(["signedPath"])
        case .bitso: return Self.commonKeys.union(["publicKeys"])
        case .koywe: return Self.commonKeys.union(["validation"])
        case .standardwebhooks: return Self.commonKeys.union(["eventField", "fields", "publicKeys"])
        case .bitpowr, .bitnob: return Self.commonKeys
        }
    }
}
