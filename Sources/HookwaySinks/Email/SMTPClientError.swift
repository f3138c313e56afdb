/// Why an SMTP exchange failed, and whether a retry could help.
struct SMTPClientError: Error, Sendable, CustomStringConvertible {
    enum Code: Sendable {
        /// The server answered with a failure code.
        case reply(SMTPReply, command: String)
        case connectFailed(String)
        case connectionClosed
        case io(String)
        case timeout(command: String)
        case tls(String)
        case protocolViolation(String)
        /// Something the server cannot do for us: no STARTTLS, no usable AUTH mechanism.
        case unsupported(String)
    }

    var code: Code

    init(_ code: Code) { self.code = code }

    /// 5xx replies and missing capabilities: the same message will fail the same way again.
    var isPermanent: Bool {
        switch code {
        case .reply(let r, _): return r.isPermanentFailure
        case .unsupported: return true
        case .connectFailed, .connectionClosed, .io, .timeout, .tls, .protocolViolation: return false
        }
    }

    /// Failures after which the connection is unusable.
    var dropsConnection: Bool {
        switch code {
        case .reply(let r, _): return r.code == 421
        case .unsupported: return false
        default: return true
        }
    }

    var description: String {
        switch code {
        case .reply(let r, let command): return "SMTP \(command) answered \(r)"
        case .connectFailed(let m): return "cannot connect to the SMTP server: \(m)"
        case .connectionClosed: return "the SMTP server closed the connection"
        case .io(let m): return "SMTP connection error: \(m)"
        case .timeout(let command): return "no SMTP reply to \(command) in time"
        case .tls(let m): return "TLS with the SMTP server failed: \(m)"
        case .protocolViolation(let m): return "SMTP protocol error: \(m)"
        case .unsupported(let m): return m
        }
    }
}
