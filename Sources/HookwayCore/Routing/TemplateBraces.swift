/// The brace syntax of routes.json's single-value templates (``TemplateSyntax``), read once for
/// topic and field templates: literal text and `{name}` references, `{{name}}` read the same.
enum TemplateBraces {
    enum Piece: Sendable, Hashable { case literal(String), reference(String) }

    enum BraceProblem: Error { case unclosed, unmatched }

    /// The pieces of `text`; a reference's name is trimmed and may be empty.
    static func scan(_ text: String) -> Result<[Piece], BraceProblem> {
        var pieces: [Piece] = []
        var literal = ""
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if c == "{" {
                let double = text[text.index(after: i)...].first == "{"
                let open = text.index(i, offsetBy: double ? 2 : 1)
                guard let close = text[open...].firstIndex(of: "}") else { return .failure(.unclosed) }
                if double, text[text.index(after: close)...].first != "}" { return .failure(.unclosed) }
                if !literal.isEmpty {
                    pieces.append(.literal(literal))
                    literal = ""
                }
                pieces.append(.reference(String(text[open..<close]).trimmingWhitespace))
                i = text.index(close, offsetBy: double ? 2 : 1)
            } else if c == "}" {
                return .failure(.unmatched)
            } else {
                literal.append(c)
                i = text.index(after: i)
            }
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        return .success(pieces)
    }
}
