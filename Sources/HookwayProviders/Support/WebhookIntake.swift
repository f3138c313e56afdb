public import HookwayCore

/// Runs the checks every source shares, in PROVIDERS.md's order, then the source's adapter:
///
/// 1. `403 ip_not_allowed`: the peer must lie in a block of `allowFrom` (when it is not empty);
///    an unknown peer is refused.
/// 2. `401 invalid_token`: a source with `token` needs the same URL token (constant time); a
///    URL token sent to a source without one is refused too.
/// 3. The adapter (authentication, then parsing).
///
/// It then sets the event's `authmethod`: the adapter's `signature`/`token` when the adapter
/// authenticated the delivery; else `token` when a URL token was verified; else `ip` when the
/// allow-list was checked; else `none`. An amount with more significant digits than
/// `limits.maxAmountDigits` is left out of `data.amount` (a warning says so).
public struct WebhookIntake: Sendable {
    public init() {}

    /// Checks and handles one request for `source`.
    public func process(_ request: WebhookRequest, source: SourceConfig, limits: Limits = Limits()) throws(WebhookError) -> AdapterOutcome {
        var warnings: [IntakeWarning] = []
        return try process(request, source: source, limits: limits, warnings: &warnings)
    }

    /// Checks 1 and 2, which need no body: the ingress runs them on a request's head (before its
    /// `100 Continue`) and again in ``process(_:source:limits:warnings:)``. Returns which of the
    /// two were checked (the event's `authmethod` when the adapter does not authenticate).
    public func admit(peer: IPAddress?, urlToken: String?, source: SourceConfig) throws(WebhookError) -> Admission {
        var ipChecked = false
        if !source.allowFrom.isEmpty {
            guard let peer else { throw .ipNotAllowed("the peer address is unknown") }
            guard source.allowFrom.contains(where: { $0.contains(peer) }) else {
                throw .ipNotAllowed("\(peer) is not in the source's allowFrom")
            }
            ipChecked = true
        }
        var tokenChecked = false
        if let token = source.token {
            guard let given = urlToken else {
                throw .invalidToken("this source is called as /webhooks/\(source.name)/{token}")
            }
            guard DigestCoding.secretEquals(Array(given.utf8), token.bytes) else {
                throw .invalidToken("the URL token does not match")
            }
            tokenChecked = true
        } else if urlToken != nil {
            throw .invalidToken("this source has no URL token; call /webhooks/\(source.name)")
        }
        return Admission(ipChecked: ipChecked, tokenChecked: tokenChecked)
    }

    /// What checks 1 and 2 found for a request that passed them.
    public struct Admission: Sendable, Hashable {
        public var ipChecked: Bool
        public var tokenChecked: Bool
    }

    /// Checks and handles one request for `source`, reporting in `warnings` what was left out
    /// of the event. `admitted` is what ``admit(peer:urlToken:source:)`` already found for this
    /// request (the ingress runs it on the head); without it, checks 1 and 2 run here.
    public func process(
        _ request: WebhookRequest,
        source: SourceConfig,
        limits: Limits,
        admitted: Admission? = nil,
        warnings: inout [IntakeWarning]
    ) throws(WebhookError) -> AdapterOutcome {
        let admission: Admission
        if let admitted {
            admission = admitted
        } else {
            admission = try admit(peer: request.peer, urlToken: request.urlToken, source: source)
        }
        let (ipChecked, tokenChecked) = (admission.ipChecked, admission.tokenChecked)
        guard let adapter = ProviderRegistry.adapter(named: source.provider) else {
            throw WebhookError(status: 404, code: .unknownSource, message: "no adapter for provider \"\(source.provider)\"")
        }
        let outcome = try adapter.handle(request, source: source, warnings: &warnings)
        guard case .event(var event) = outcome else { return outcome }
        if event.authMethod == .none {
            event.authMethod = tokenChecked ? .token : ipChecked ? .ip : .none
        }
        if let amount = event.data.amount {
            let digits = ExactDecimal.significantDigitCount(ofPlain: amount)
            if digits > limits.maxAmountDigits {
                event.data.amount = nil
                event.data.amountSource = nil
                warnings.append(
                    IntakeWarning(
                        .amountTooLong,
                        "the amount has \(digits) significant digits (limits.maxAmountDigits is \(limits.maxAmountDigits)); data.amount left out"
                    )
                )
            }
        }
        return .event(event)
    }
}
