/// A Prometheus series selector parsed from its text form:
/// `metric`, `metric{a="x", b=~"y.*"}` or `{__name__="metric", c!~"z"}`.
///
/// The grammar is PromQL's vector selector without offsets, ranges or `@`:
/// metric names may contain `:`, label names may not; values are quoted with `"`, `'`
/// or backticks (raw, no escapes); a trailing comma before `}` is accepted. As in
/// Prometheus, a selector must hold at least one matcher that does not match the empty
/// string, so `{}` or `{a=~".*"}` (which would select every series) is an error.
/// Regexes are kept as text; the code that evaluates them anchors them fully.
public struct SeriesSelector: Equatable, Sendable, CustomStringConvertible {
    public var matchers: [LabelMatcher]

    public init(matchers: [LabelMatcher]) {
        self.matchers = matchers
    }

    public static func parse(_ text: String) throws -> SeriesSelector {
        var parser = SelectorParser(text: text)
        return SeriesSelector(matchers: try parser.parse())
    }

    public var description: String {
        "{" + matchers.map(\.description).joined(separator: ", ") + "}"
    }
}

/// Why a selector did not parse: the problem first, then where (1-based column).
public struct SelectorError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public var column: Int
    public var text: String

    public var description: String {
        "\(message) at column \(column) of selector \(text.debugDescription)"
    }
}

private struct SelectorParser {
    let text: String
    /// Code points, as PromQL's lexer reads runes: grapheme clusters would glue a
    /// combining mark onto a quote or backslash and hide it.
    let chars: [Unicode.Scalar]
    var pos = 0

    init(text: String) {
        self.text = text
        chars = Array(text.unicodeScalars)
    }

    mutating func parse() throws -> [LabelMatcher] {
        var matchers: [LabelMatcher] = []
        skipSpace()
        if let c = peek, isNameStart(c, allowColon: true) {
            let name = readName(allowColon: true)
            matchers.append(LabelMatcher(.equal, "__name__", name))
            skipSpace()
        }
        if peek == "{" {
            pos += 1
            try parseMatchers(into: &matchers)
        }
        skipSpace()
        if pos < chars.count {
            throw fail("unexpected \(String(chars[pos]).debugDescription)")
        }
        if matchers.isEmpty {
            throw fail("empty selector: give a metric name or at least one label matcher")
        }
        if !matchers.contains(where: { !Self.matchesEmpty($0) }) {
            throw SelectorError(
                message: "selector must contain at least one matcher that does not match the empty string",
                column: 1, text: text)
        }
        return matchers
    }

    private mutating func parseMatchers(into matchers: inout [LabelMatcher]) throws {
        while true {
            skipSpace()
            if peek == "}" { pos += 1; return }
            guard let c = peek else { throw fail("missing closing '}'") }
            guard isNameStart(c, allowColon: false) else {
                throw fail("expected a label name, found \(String(c).debugDescription)")
            }
            let name = readName(allowColon: false)
            skipSpace()
            let kind = try readOperator()
            skipSpace()
            let value = try readString()
            if kind == .regexMatch || kind == .regexNoMatch {
                try Self.checkRegex(value, at: pos, in: text)
            }
            matchers.append(LabelMatcher(kind, name, value))
            skipSpace()
            switch peek {
            case ",": pos += 1
            case "}": pos += 1; return
            case nil: throw fail("missing closing '}'")
            case let c?: throw fail("expected ',' or '}', found \(String(c).debugDescription)")
            }
        }
    }

    private mutating func readOperator() throws -> LabelMatcher.Kind {
        let two = pos + 1 < chars.count ? String(String.UnicodeScalarView(chars[pos...pos + 1])) : ""
        switch two {
        case "=~": pos += 2; return .regexMatch
        case "!=": pos += 2; return .notEqual
        case "!~": pos += 2; return .regexNoMatch
        default:
            if peek == "=" { pos += 1; return .equal }
            throw fail("expected one of =, !=, =~, !~")
        }
    }

    private mutating func readString() throws -> String {
        guard let quote = peek, quote == "\"" || quote == "'" || quote == "`" else {
            throw fail("expected a quoted label value")
        }
        let start = pos
        pos += 1
        var out = ""
        while pos < chars.count {
            let c = chars[pos]
            pos += 1
            if c == quote { return out }
            if c == "\\" && quote != "`" {
                out.append(contentsOf: try readEscape(quote: quote))
            } else if c == "\n" && quote != "`" {
                break
            } else {
                out.unicodeScalars.append(c)
            }
        }
        pos = start
        throw fail("unterminated quoted string")
    }

    /// Go string-literal escapes, as PromQL accepts them.
    private mutating func readEscape(quote: Unicode.Scalar) throws -> String {
        guard let c = peek else { throw fail("unterminated escape") }
        pos += 1
        switch c {
        case "a": return "\u{07}"
        case "b": return "\u{08}"
        case "f": return "\u{0C}"
        case "n": return "\n"
        case "r": return "\r"
        case "t": return "\t"
        case "v": return "\u{0B}"
        case "\\": return "\\"
        case "\"", "'":
            guard c == quote else { pos -= 1; throw fail("unknown escape sequence \\\(c)") }
            return String(c)
        case "x": return try readCodePoint(digits: 2, radix: 16)
        case "u": return try readCodePoint(digits: 4, radix: 16)
        case "U": return try readCodePoint(digits: 8, radix: 16)
        case "0"..."7":
            pos -= 1
            return try readCodePoint(digits: 3, radix: 8)
        default:
            pos -= 1
            throw fail("unknown escape sequence \\\(c)")
        }
    }

    private mutating func readCodePoint(digits: Int, radix: Int) throws -> String {
        guard pos + digits <= chars.count,
              let v = UInt32(String(String.UnicodeScalarView(chars[pos..<pos + digits])), radix: radix),
              let scalar = Unicode.Scalar(v) else {
            throw fail("invalid escape sequence")
        }
        pos += digits
        return String(scalar)
    }

    private static func checkRegex(_ pattern: String, at pos: Int, in text: String) throws {
        // Only structural checks here (balanced groups and classes); SeismoModel does not
        // depend on Foundation. The store compiles the regex and reports the rest.
        var depth = 0
        var inClass = false
        var escaped = false
        for c in pattern.unicodeScalars {
            if escaped { escaped = false; continue }
            switch c {
            case "\\": escaped = true
            case "[": inClass = true
            case "]": inClass = false
            case "(" where !inClass: depth += 1
            case ")" where !inClass:
                depth -= 1
                if depth < 0 { throw SelectorError(message: "invalid regex \(pattern.debugDescription): unbalanced ')'", column: pos, text: text) }
            default: break
            }
        }
        if depth != 0 || inClass || escaped {
            throw SelectorError(message: "invalid regex \(pattern.debugDescription): unterminated group, class or escape", column: pos, text: text)
        }
    }

    /// Whether a matcher selects series that lack its label (value ""). Regexes are tried
    /// on "" with the standard library's engine; one it cannot compile counts as not
    /// matching the empty string (the store's engine is the judge of validity).
    static func matchesEmpty(_ m: LabelMatcher) -> Bool {
        switch m.kind {
        case .equal: return m.value.isEmpty
        case .notEqual: return !m.value.isEmpty
        case .regexMatch: return regexMatchesEmpty(m.value) ?? false
        case .regexNoMatch: return !(regexMatchesEmpty(m.value) ?? false)
        }
    }

    private static func regexMatchesEmpty(_ pattern: String) -> Bool? {
        guard let regex = try? Regex(pattern) else { return nil }
        return (try? regex.wholeMatch(in: "")) != nil
    }

    private var peek: Unicode.Scalar? { pos < chars.count ? chars[pos] : nil }

    private mutating func skipSpace() {
        while let c = peek, c == " " || c == "\t" || c == "\n" || c == "\r" { pos += 1 }
    }

    private func isNameStart(_ c: Unicode.Scalar, allowColon: Bool) -> Bool {
        c == "_" || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (allowColon && c == ":")
    }

    private mutating func readName(allowColon: Bool) -> String {
        let start = pos
        while let c = peek, isNameStart(c, allowColon: allowColon) || (c >= "0" && c <= "9") { pos += 1 }
        return String(String.UnicodeScalarView(chars[start..<pos]))
    }

    private func fail(_ message: String) -> SelectorError {
        SelectorError(message: message, column: pos + 1, text: text)
    }
}
