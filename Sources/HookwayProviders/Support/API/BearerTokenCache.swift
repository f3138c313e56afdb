import Foundation
import HookwayCore

/// A bearer token obtained by signing in, reused until shortly before it expires and obtained
/// again when the API refuses it (Koywe's sign-in JWT, Bit Capital's OAuth token).
actor BearerTokenCache {
    private var token: String?
    private var expires = ContinuousClock.Instant.now
    private var inFlight: Task<(String, Duration), any Error>?

    /// The cached token, or a new one from `signIn` (which returns the token and its lifetime).
    /// Concurrent callers share one sign-in.
    func token(signIn: @escaping @Sendable () async throws(APIError) -> (String, Duration)) async throws(APIError) -> String {
        if let token, ContinuousClock.now < expires { return token }
        let task: Task<(String, Duration), any Error>
        if let inFlight {
            task = inFlight
        } else {
            task = Task { () async throws -> (String, Duration) in try await signIn() }
            inFlight = task
        }
        do {
            let (fresh, lifetime) = try await task.value
            inFlight = nil
            token = fresh
            // Renew a minute early (at half-life for short tokens), so a request never carries
            // a token that expires on the way.
            expires = .now + (lifetime > .seconds(120) ? lifetime - .seconds(60) : lifetime / 2)
            return fresh
        } catch let error as APIError {
            inFlight = nil
            throw error
        } catch {
            inFlight = nil
            throw APIError(code: .apiUnavailable, "sign-in failed: \(error)", retriable: true)
        }
    }

    /// Forgets the token after the API refused it.
    func invalidate(_ refused: String) {
        if token == refused { token = nil }
    }

    /// The lifetime a JWT states (`exp` − now), else `fallback`.
    static func lifetime(ofJWT jwt: String, fallback: Duration) -> Duration {
        let parts = jwt.split(separator: ".")
        guard parts.count == 3 else { return fallback }
        var text = String(parts[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let bytes = DigestCoding.base64(text), let claims = try? JSONParser.parse(bytes),  // nil: not a JWT we can read; use the documented lifetime
            let exp = claims["exp"]?.numberLiteral.flatMap(Int64.init), exp >= 0  // a negative exp would overflow below
        else { return fallback }
        let left = exp - Timestamp.now().seconds
        return left > 0 ? .seconds(left) : .zero
    }
}
