import Foundation

/// A label or annotation value with `{{ … }}` placeholders, compiled once at rule load.
///
/// Seismo deliberately does not embed Go's text/template: alert text needs only four
/// variables, and a tiny closed grammar lets `seismo check rules` reject every typo at load
/// time instead of producing a half-rendered message at 3 a.m.
///
/// Grammar: literal text with placeholders `{{ VAR }}` (spaces inside the braces optional):
/// - `$labels.NAME`: label NAME of the top-scoring series ("" when it lacks the label)
/// - `$score`: the group score, formatted with three decimals (`0.973`)
/// - `$value`: the top series' last value (integers without a fraction, `NaN` when unknown)
/// - `$series`: the top series as a canonical selector, `metric{a="x", b="y"}`
/// There is no escape: a literal `{{` in output is not expressible (none has been needed).
public struct AlertTemplate: Sendable, Equatable {
    enum Part: Sendable, Equatable {
        case literal(String)
        case label(String)
        case score, value, series
    }

    let parts: [Part]
    public let source: String

    /// Values a template is rendered with.
    public struct Context {
        public var labels: [(name: String, value: String)]
        public var score: Double
        public var value: Double

        public init(labels: [(name: String, value: String)], score: Double, value: Double) {
            self.labels = labels
            self.score = score
            self.value = value
        }
    }

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public var message: String
        public var description: String { message }
    }

    public init(_ source: String) throws {
        self.source = source
        var parts: [Part] = []
        var rest = Substring(source)
        while let open = rest.range(of: "{{") {
            try Self.checkLiteral(rest[..<open.lowerBound], in: source)
            if open.lowerBound > rest.startIndex { parts.append(.literal(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw ParseError(message: "unterminated '{{' in template \(source.debugDescription)")
            }
            let body = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            parts.append(try Self.variable(body, in: source))
            rest = rest[close.upperBound...]
        }
        try Self.checkLiteral(rest, in: source)
        if !rest.isEmpty { parts.append(.literal(String(rest))) }
        self.parts = parts
    }

    /// A `}}` outside a placeholder is almost always a mistyped opening brace.
    private static func checkLiteral(_ text: Substring, in source: String) throws {
        if text.contains("}}") {
            throw ParseError(message: "stray '}}' in template \(source.debugDescription)")
        }
    }

    private static func variable(_ body: String, in source: String) throws -> Part {
        switch body {
        case "$score": return .score
        case "$value": return .value
        case "$series": return .series
        default:
            if body.hasPrefix("$labels.") {
                let name = String(body.dropFirst("$labels.".count))
                guard LabelNames.isValid(name) else {
                    throw ParseError(message: "invalid label name \(name.debugDescription) in template \(source.debugDescription)")
                }
                return .label(name)
            }
            throw ParseError(message: "unknown template variable \(body.debugDescription) in \(source.debugDescription); "
                + "known: $labels.NAME, $score, $value, $series")
        }
    }

    /// Whether rendering depends on the score or value, which change every second. Alert
    /// labels must not: a label that changes makes a new alert in Alertmanager.
    var usesMeasurements: Bool {
        parts.contains { $0 == .score || $0 == .value }
    }

    public func render(_ context: Context) -> String {
        var out = ""
        for part in parts {
            switch part {
            case .literal(let s): out += s
            case .label(let name): out += context.labels.first { $0.name == name }?.value ?? ""
            case .score: out += Self.formatScore(context.score)
            case .value: out += Self.formatValue(context.value)
            case .series: out += Self.canonicalSelector(context.labels)
            }
        }
        return out
    }

    static func formatScore(_ score: Double) -> String {
        score.isFinite ? String(format: "%.3f", score) : "NaN"
    }

    static func formatValue(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "+Inf" : "-Inf") }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// `metric{a="x", b="y"}`: metric name first, other labels sorted, values escaped as
    /// PromQL strings, so the text can be pasted into a query.
    public static func canonicalSelector(_ labels: [(name: String, value: String)]) -> String {
        let metric = labels.first { $0.name == "__name__" }?.value ?? ""
        let rest = labels.filter { $0.name != "__name__" }.sorted { $0.name < $1.name }
        if rest.isEmpty && !metric.isEmpty { return metric }
        let inner = rest.map { "\($0.name)=\"\(escape($0.value))\"" }.joined(separator: ", ")
        return metric + "{" + inner + "}"
    }

    private static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }
}

/// Prometheus/Alertmanager label-name rule: `[a-zA-Z_][a-zA-Z0-9_]*`. Alertmanager rejects
/// any other name with 400, so rules are checked against it at load time.
enum LabelNames {
    static func isValid(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first else { return false }
        func letter(_ c: Unicode.Scalar) -> Bool { c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
        return letter(first) && name.unicodeScalars.allSatisfy { letter($0) || ("0"..."9").contains($0) }
    }
}

extension AlertTemplate {
    /// A template that renders `text` verbatim.
    init(literal text: String) {
        source = text
        parts = text.isEmpty ? [] : [.literal(text)]
    }
}
