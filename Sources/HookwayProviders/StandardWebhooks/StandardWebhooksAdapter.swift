import Crypto
import Foundation
public import HookwayCore

/// Any sender following the Standard Webhooks spec (Svix and others).
///
/// `webhook-signature` lists space-separated `v1,<base64 HMAC-SHA256>` entries over
/// `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the base64 decoding of the secret
/// minus its `whsec_` prefix, and `v1a,<base64 ed25519 signature>` entries over the same
/// bytes, verified with the source's `publicKeys` (`whpk_…`); other versions are ignored and
/// any match of either kind verifies. Svix's
/// `svix-*` header names are accepted too. Tolerance ±300 s. The event name and the `data`
/// fields come from the source's `eventField` and `fields` paths.
public struct StandardWebhooksAdapter: ProviderAdapter {
    static let defaultToleranceSeconds = 300

    /// `fields` entries and their default payload paths (`entityKind` and `reference` have none).
    static let defaultPaths: [String: String] = [
        "entityId": "data.id", "status": "data.status", "amount": "data.amount", "currency": "data.currency",
        "time": "timestamp",
    ]

    public init() {}

    /// Events are sender-defined; this is the spec's example.
    public static let catalog: [CatalogEvent] = [CatalogEvent(name: "invoice.paid", entityKind: "invoice")]

    public func needsSenderKey(source: SourceConfig) -> Bool {
        source.secrets.isEmpty && !source.standardWebhooks.ed25519PublicKeys.isEmpty
    }

    public func handle(_ request: WebhookRequest, source: SourceConfig) throws(WebhookError) -> AdapterOutcome {
        guard let messageID = Self.header(request, "id"), let timestamp = Self.header(request, "timestamp"),
            let signatures = Self.header(request, "signature")
        else { throw .missingSignature("webhook-id, webhook-timestamp and webhook-signature are all required") }
        guard let signedAt = SigningTime.milliseconds(from: timestamp, unit: .seconds) else {
            throw .invalidSignature("webhook-timestamp is not an integer")
        }
        guard let candidates = Self.signatures(signatures) else {
            throw .invalidSignature("webhook-signature lists more than \(Self.maxSignatureEntries) signatures")
        }
        let signedPrefix = Array("\(messageID).\(timestamp).".utf8)
        let options = source.standardWebhooks
        // One HMAC per configured secret, whatever the header lists, and one ed25519 check per
        // (public key, listed v1a entry) — at most keys × 8: the cost of a request before it
        // is authenticated must not grow with what the sender wrote beyond that bound.
        let keys = source.secrets.map { Self.key(from: $0) }
        let expected = keys.map { MessageAuthentication.hmac(SHA256.self, key: $0, parts: [signedPrefix, request.body]) }
        var verified = MessageAuthentication.anyMatches(expected, candidates: candidates.v1)
        if !candidates.v1a.isEmpty, !options.ed25519PublicKeys.isEmpty {
            verified =
                Self.anyEd25519Verifies(candidates.v1a, keys: options.ed25519PublicKeys, message: signedPrefix + request.body)
                || verified
        }
        guard verified else {
            throw .invalidSignature("no v1 signature verifies with a configured secret and no v1a signature with a configured public key")
        }
        let tolerance = source.toleranceSeconds ?? Self.defaultToleranceSeconds
        guard SigningTime.isWithinTolerance(signedAtMilliseconds: signedAt, now: request.receivedAt, toleranceSeconds: tolerance)
        else { throw .staleTimestamp("webhook-timestamp is more than \(tolerance) s from now") }

        let payload = try Payload.object(request.body)
        let event = try Payload.requiredString(payload, options.eventField).lowercased()
        func field(_ name: String) -> JSONValue? {
            guard let path = options.fields[name] ?? Self.defaultPaths[name], !path.isEmpty else { return nil }
            return payload.value(atPath: path)
        }
        let kind = field("entityKind")?.stringValue.map { $0.lowercased() } ?? EventNaming.firstSegment(event)
        let status: String? = field("status")?.stringValue.flatMap { $0.isEmpty ? nil : $0.lowercased() }
        let data = EventData(
            provider: StandardWebhooksProvider.name,
            source: source.name,
            event: event,
            entity: Payload.identifier(field("entityId")).map { EntityRef(kind: kind, id: $0) },
            status: status,
            amount: ExactDecimal.amountText(from: field("amount")),
            currency: field("currency")?.stringValue,
            reference: field("reference")?.stringValue,
            payload: payload,
            payloadBody: request.body
        )
        // webhook-id is the sender's own message id, kept across its retries.
        return .event(
            Event(
                id: messageID,
                data: data,
                time: RFC3339.eventTime(from: field("time")),
                authMethod: .signature,
                receivedAt: request.receivedAt
            )
        )
    }

    /// `webhook-<name>`, else `svix-<name>`.
    static func header(_ request: WebhookRequest, _ name: String) -> String? {
        for prefix in ["webhook-", "svix-"] {
            if let value = request.header(prefix + name), !value.isEmpty { return value }
        }
        return nil
    }

    /// Signatures one header may list (every version counted). A sender rotating secrets
    /// lists two or three; more is an attempt to multiply the verifier's work.
    public static let maxSignatureEntries = 8

    /// The decoded `v1,` digests and `v1a,` ed25519 signatures the header lists (malformed
    /// entries and other versions are skipped); `nil` when it lists more than
    /// ``maxSignatureEntries``.
    static func signatures(_ header: String) -> (v1: [[UInt8]], v1a: [[UInt8]])? {
        var v1: [[UInt8]] = []
        var v1a: [[UInt8]] = []
        var entries = 0
        for entry in header.split(separator: " ") {
            entries += 1
            if entries > maxSignatureEntries { return nil }
            guard entry.utf8.count <= 128 else { continue }
            if entry.hasPrefix("v1,") {
                if let digest = DigestCoding.base64(String(entry.dropFirst(3))), digest.count == SHA256.byteCount { v1.append(digest) }
            } else if entry.hasPrefix("v1a,") {
                if let signature = DigestCoding.base64(String(entry.dropFirst(4))), signature.count == 64 { v1a.append(signature) }
            }
        }
        return (v1, v1a)
    }

    /// True when any listed signature verifies under any key; every pair is checked, so the
    /// time taken does not say which matched.
    static func anyEd25519Verifies(_ signatures: [[UInt8]], keys: [[UInt8]], message: [UInt8]) -> Bool {
        var matched = false
        for raw in keys {
            guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { continue }
            for signature in signatures where key.isValidSignature(signature, for: message) { matched = true }
        }
        return matched
    }

    /// The signing key of a `whsk_<base64 seed>` value (the Standard Webhooks libraries' form;
    /// the prefix is optional).
    static func signingKey(from senderKey: Secret) -> Curve25519.Signing.PrivateKey? {
        var text = senderKey.stringValue.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("whsk_") { text = String(text.dropFirst(5)) }
        guard let seed = DigestCoding.base64(text), seed.count == 32 else { return nil }
        return try? Curve25519.Signing.PrivateKey(rawRepresentation: seed)
    }

    /// The HMAC key: base64 of the secret after `whsec_`. A secret that is not base64 is used
    /// as raw bytes, which is what some senders that skip the convention do.
    static func key(from secret: Secret) -> [UInt8] {
        var text = secret.stringValue
        if text.hasPrefix("whsec_") { text = String(text.dropFirst(6)) }
        return DigestCoding.base64(text) ?? Array(text.utf8)
    }

    public func sample(event: String, source: SourceConfig, now: Timestamp, tampered: Bool) -> SampleDelivery? {
        sample(event: event, source: source, now: now, tampered: tampered, senderKey: nil)
    }

    /// Signs `v1` with the source's first secret and, given the sender's `whsk_` key, `v1a`
    /// too; `nil` when it can sign neither.
    public func sample(event: String, source: SourceConfig, now: Timestamp, tampered: Bool, senderKey: Secret?) -> SampleDelivery? {
        let options = source.standardWebhooks
        guard !event.isEmpty, !options.eventField.isEmpty else { return nil }
        let signer = senderKey.flatMap(Self.signingKey(from:))
        guard !source.secrets.isEmpty || signer != nil else { return nil }
        func path(_ name: String) -> String? { options.fields[name] ?? Self.defaultPaths[name] }
        let seed = "standardwebhooks \(event) \(now.millisecondsSinceEpoch)"
        var root = JSONValue.object([])
        root = JSONPathWriter.setting(root, path: options.eventField, to: .string(event))
        let values: [(String, JSONValue)] = [
            ("time", .string(now.rfc3339)),
            ("entityId", .string(SampleSupport.entityID("\(EventNaming.firstSegment(event).prefix(3))_\(SampleSupport.hexID(seed).prefix(12))"))),
            ("entityKind", .string(EventNaming.firstSegment(event))),
            ("status", .string(String(event.split(separator: ".").last ?? ""))),
            ("amount", .string("25.00")), ("currency", .string("USD")), ("reference", .string("REF-\(SampleSupport.hexID(seed).prefix(8))")),
        ]
        for (name, value) in values {
            if let p = path(name), !p.isEmpty { root = JSONPathWriter.setting(root, path: p, to: value) }
        }
        let body = JSONWriter.encode(root)
        let messageID = "msg_" + SampleSupport.hexID(seed)
        let timestamp = String(now.seconds)
        let signed = Array("\(messageID).\(timestamp).".utf8) + body + (tampered ? Array("-tampered".utf8) : [])
        var entries: [String] = []
        if let secret = source.secrets.first {
            let mac = MessageAuthentication.hmac(SHA256.self, key: Self.key(from: secret), parts: [signed])
            entries.append("v1,\(DigestCoding.base64String(mac))")
        }
        if let signer, let signature = try? signer.signature(for: signed) {
            entries.append("v1a,\(DigestCoding.base64String(Array(signature)))")
        }
        return SampleDelivery(
            pathSuffix: SampleSupport.pathSuffix(source, wrong: false),
            headers: [
                ("Content-Type", "application/json"), ("webhook-id", messageID), ("webhook-timestamp", timestamp),
                ("webhook-signature", entries.joined(separator: " ")),
            ],
            body: body
        )
    }
}

/// Builds sample payloads by dotted path (`data.id`), creating objects on the way.
enum JSONPathWriter {
    static func setting(_ value: JSONValue, path: String, to newValue: JSONValue) -> JSONValue {
        let segments = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        return setting(value, segments: segments[...], to: newValue)
    }

    private static func setting(_ value: JSONValue, segments: ArraySlice<String>, to newValue: JSONValue) -> JSONValue {
        guard let key = segments.first else { return newValue }
        var members = value.members ?? []
        if let i = members.lastIndex(where: { $0.key == key }) {
            members[i].value = setting(members[i].value, segments: segments.dropFirst(), to: newValue)
        } else {
            members.append(JSONMember(key, setting(.object([]), segments: segments.dropFirst(), to: newValue)))
        }
        return .object(members)
    }
}
