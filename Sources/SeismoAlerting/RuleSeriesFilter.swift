import Foundation
import SeismoModel

/// Decides which series a rule watches: the OR of its selectors, each the AND of its
/// matchers, with Prometheus semantics (regexes fully anchored, a missing label has the
/// value ""). Compiled once per rule set so the per-series check does no parsing.
///
/// The ingest pipeline calls `matches` when it first sees a series (the answer does not
/// change for a label set), not for every sample.
public struct RuleSeriesFilter: @unchecked Sendable {
    // NSRegularExpression is immutable after creation and documented thread-safe for
    // matching, hence @unchecked Sendable.
    private enum Test {
        case equal(String, String)
        case notEqual(String, String)
        case regex(String, NSRegularExpression, negate: Bool)
    }

    private let selectors: [[Test]]

    public struct InvalidRegex: Error, CustomStringConvertible {
        public var matcher: String
        public var reason: String
        public var description: String { "invalid regular expression in \(matcher): \(reason)" }
    }

    /// Empty `selectors` watches every series.
    public init(_ selectors: [SeriesSelector]) throws {
        self.selectors = try selectors.map { sel in
            try sel.matchers.map { m in
                switch m.kind {
                case .equal: return .equal(m.name, m.value)
                case .notEqual: return .notEqual(m.name, m.value)
                case .regexMatch, .regexNoMatch:
                    do {
                        // (?s): `.` also matches newlines, as RE2 does in Prometheus.
                        let re = try NSRegularExpression(pattern: "^(?s:" + m.value + ")$")
                        return .regex(m.name, re, negate: m.kind == .regexNoMatch)
                    } catch {
                        throw InvalidRegex(matcher: m.description, reason: "\(error.localizedDescription)")
                    }
                }
            }
        }
    }

    public func matches(_ labels: [(name: String, value: String)]) -> Bool {
        if selectors.isEmpty { return true }
        return selectors.contains { tests in tests.allSatisfy { Self.passes($0, labels) } }
    }

    private static func passes(_ test: Test, _ labels: [(name: String, value: String)]) -> Bool {
        func value(_ name: String) -> String { labels.first { $0.name == name }?.value ?? "" }
        switch test {
        case .equal(let n, let v): return value(n) == v
        case .notEqual(let n, let v): return value(n) != v
        case .regex(let n, let re, let negate):
            let s = value(n)
            let hit = re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
            return hit != negate
        }
    }
}

extension AlertRule {
    /// The group a series belongs to under this rule: its values of the `group_by`
    /// labels, in `group_by` order ("" for a label the series lacks), ready for
    /// `AlertEvaluator.observe(group:)`.
    public func group(of labels: [(name: String, value: String)]) -> [(name: String, value: String)] {
        groupBy.map { name in (name: name, value: labels.first { $0.name == name }?.value ?? "") }
    }

    /// This rule's series filter. Rules from `RuleSet.parse` have compiled regexes already.
    public func seriesFilter() throws -> RuleSeriesFilter {
        try RuleSeriesFilter(selectors)
    }
}
