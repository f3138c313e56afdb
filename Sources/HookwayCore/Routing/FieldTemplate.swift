/// Text with `{path}` (or `{{path}}`) references into a CloudEvent: `assets:{provider}:{data.currency}`,
/// `liabilities:customers:{data.payload.data.customerEmail}`. Short names `source`,
/// `provider`, `event` mean the `data` fields; anything else is a dotted CloudEvent path.
public struct FieldTemplate: Sendable, Hashable, CustomStringConvertible {
    enum Piece: Sendable, Hashable {
        case literal(String)
        case path(String)
    }
    public let text: String
    let pieces: [Piece]

    /// Parses a template; `nil` when a brace is unbalanced or a reference is empty.
    public init?(_ text: String) {
        guard case .success(let scanned) = TemplateBraces.scan(text) else { return nil }
        var pieces: [Piece] = []
        for piece in scanned {
            switch piece {
            case .literal(let s): pieces.append(.literal(s))
            case .reference(let name):
                if name.isEmpty || name.contains("{") { return nil }
                pieces.append(.path(name))
            }
        }
        self.text = text
        self.pieces = pieces
    }

    public var description: String { text }

    /// The `{…}` references in order.
    public var references: [String] { pieces.compactMap { if case .path(let p) = $0 { p } else { nil } } }

    /// A template that is one reference and nothing else (`"{data.amount}"`), whose value can
    /// keep its JSON type.
    public var soleReference: String? {
        if pieces.count == 1, case .path(let p) = pieces[0] { return p }
        return nil
    }

    /// Renders against an event. `missing` receives each reference that has no scalar value
    /// (it renders empty); `resolve` may answer references the event does not (`env:NAME`).
    public func render(
        _ event: Event,
        resolve: (String) -> String? = { _ in nil },
        missing: (String) -> Void = { _ in }
    ) -> String {
        var out = ""
        for piece in pieces {
            switch piece {
            case .literal(let s): out += s
            case .path(let p):
                if let v = resolve(p) ?? FieldTemplate.value(p, in: event)?.scalarText {
                    out += v
                } else {
                    missing(p)
                }
            }
        }
        return out
    }

    /// The value of a reference in an event.
    public static func value(_ path: String, in event: Event) -> JSONValue? {
        switch path {
        case "source", "provider", "event", "status", "amount", "currency", "reference": return event.field(atPath: "data.\(path)")
        default: return event.field(atPath: path)
        }
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s = s.dropFirst() }
        while s.last?.isWhitespace == true { s = s.dropLast() }
        return String(s)
    }
}
