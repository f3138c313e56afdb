import Mustache

/// What `routes check` and strict rendering need to know of a Mustache template, asked of
/// swift-mustache itself (the one Mustache implementation in Hookway).
enum MustacheCheck {
    /// `nil` when swift-mustache parses `template`; otherwise what is wrong and where.
    static func problem(in template: String) -> String? {
        do {
            _ = try MustacheTemplate(string: template)
            return nil
        } catch let failure as MustacheTemplate.ParserError {
            let at = "line \(failure.context.lineNumber), column \(failure.context.columnNumber)"
            switch failure.error {
            case MustacheTemplate.Error.unfinishedName: return "unclosed or empty tag at \(at)"
            case MustacheTemplate.Error.expectedSectionEnd: return "a section is never closed (\(at))"
            case MustacheTemplate.Error.sectionCloseNameIncorrect: return "a closing tag does not match its section at \(at)"
            case MustacheTemplate.Error.invalidSetDelimiter: return "bad delimiter change at \(at)"
            default:
                // The parser ran off the end of the text: a tag is never closed.
                if "\(failure.error)" == "overflow" { return "unclosed tag at \(at)" }
                return "\(failure.error) at \(at)"
            }
        } catch {
            return "\(error)"
        }
    }

    /// The variables `template` reads outside every section, in order: what strict mode
    /// checks against the event. Found by rendering it against a probe that names every path
    /// it is asked for and reads as null, so sections are skipped as a missing field would be.
    static func topLevelVariables(of template: MustacheTemplate) -> [String] {
        let rendered = template.render(PathProbe(path: ""))
        var names: [String] = []
        var rest = rendered[...]
        while let start = rest.firstIndex(of: PathProbe.open) {
            let after = rest.index(after: start)
            guard let end = rest[after...].firstIndex(of: PathProbe.close) else { break }
            let name = String(rest[after..<end])
            if !name.isEmpty, !names.contains(name) { names.append(name) }
            rest = rest[rest.index(after: end)...]
        }
        return names
    }

    /// Stands for any path of the context: renders as its path between two control characters
    /// no template text holds, and is null to sections.
    struct PathProbe: MustacheParent, MustacheCustomRenderable {
        static let open: Character = "\u{1}"
        static let close: Character = "\u{2}"
        let path: String

        func child(named name: String) -> Any? { PathProbe(path: path.isEmpty ? name : "\(path).\(name)") }
        var renderText: String { "\(Self.open)\(path)\(Self.close)" }
        var isNull: Bool { true }
    }
}
