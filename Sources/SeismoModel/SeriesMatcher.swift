import Foundation

/// Evaluates Prometheus label matchers against label sets, with Prometheus semantics:
/// regexes are fully anchored, and a missing label has the value "" (so `a=""` matches
/// series without `a`, and `a!=""` requires it).
public struct SeriesMatcher: @unchecked Sendable {
    private enum Compiled {
        case equal(String, String)
        case notEqual(String, String)
        case regex(String, NSRegularExpression, negate: Bool)
    }

    private let compiled: [Compiled]

    public struct InvalidRegex: Error, CustomStringConvertible {
        let matcher: String
        let reason: String
        public var description: String { "invalid regular expression in matcher \(matcher): \(reason)" }
    }

    public init(_ matchers: [LabelMatcher]) throws {
        compiled = try matchers.map { m in
            switch m.kind {
            case .equal: return .equal(m.name, m.value)
            case .notEqual: return .notEqual(m.name, m.value)
            case .regexMatch, .regexNoMatch:
                do {
                    // (?s) like RE2 in Prometheus: `.` matches newlines too.
                    let re = try NSRegularExpression(pattern: "^(?s:" + m.value + ")$")
                    return .regex(m.name, re, negate: m.kind == .regexNoMatch)
                } catch {
                    throw InvalidRegex(matcher: m.description, reason: error.localizedDescription)
                }
            }
        }
    }

    public func matches(_ labels: [(name: String, value: String)]) -> Bool {
        func value(_ name: String) -> String {
            labels.first(where: { $0.name == name })?.value ?? ""
        }
        for c in compiled {
            switch c {
            case .equal(let n, let v): if value(n) != v { return false }
            case .notEqual(let n, let v): if value(n) == v { return false }
            case .regex(let n, let re, let negate):
                let s = value(n)
                let hit = re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
                if hit == negate { return false }
            }
        }
        return true
    }
}
