import HookwayCore

/// Koywe's pre-trade validation callback (seed 003): before a user buys, sells or sees private
/// data, Koywe POSTs `{"email":"…"}` with an auth of the integrator's choice and proceeds only
/// on an answer that "looks like a boolean" true. Hookway answers it from the source's
/// `validation` config; nothing is published.
enum KoyweValidationCallback {
    /// True for a body that is this call: a string `email` and no `eventName` or `type`.
    static func isValidationCall(_ payload: JSONValue) -> Bool {
        payload["email"]?.stringValue != nil && payload["eventName"] == nil && payload["type"] == nil
    }

    /// Authenticates the call (`Authorization: Bearer <bearer>` or the source's URL token) and
    /// answers 200 with JSON `true` or `false`.
    static func answer(_ request: WebhookRequest, payload: JSONValue, source: SourceConfig) throws(WebhookError) -> AdapterOutcome {
        guard let config = source.koywe.validation else {
            throw .missingSignature("validation callback received but the source has no \"validation\" config")
        }
        guard isAuthorized(request, bearer: config.bearer, token: source.token) else {
            throw .invalidToken("validation callback without the configured bearer token")
        }
        let allowed = config.allows(payload["email"]?.stringValue ?? "")
        return .reply(status: 200, contentType: "application/json", body: Array((allowed ? "true" : "false").utf8))
    }

    static func isAuthorized(_ request: WebhookRequest, bearer: Secret?, token: Secret?) -> Bool {
        var authorized = false
        if let bearer, let presented = bearerToken(request.header("Authorization")),
            DigestCoding.secretEquals(Array(presented.utf8), bearer.bytes)
        {
            authorized = true
        }
        if let token, let given = request.urlToken, DigestCoding.secretEquals(Array(given.utf8), token.bytes) {
            authorized = true
        }
        return authorized
    }

    /// The credentials of `Bearer <token>` (scheme case-insensitive, RFC 7235).
    static func bearerToken(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = trimmedOWS(String(parts[1]))
        return token.isEmpty ? nil : token
    }
}
