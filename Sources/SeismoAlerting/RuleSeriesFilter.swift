import SeismoModel

/// Decides which series a rule watches: the OR of its selectors, each the AND of its
/// matchers, with Prometheus semantics (regexes fully anchored, a missing label has the
/// value ""). Each selector is a `SeriesMatcher` compiled once per rule set, so the
/// per-series check does no parsing.
///
/// The ingest pipeline calls `matches` when it first sees a series (the answer does not
/// change for a label set), not for every sample.
public struct RuleSeriesFilter: Sendable {
    private let selectors: [SeriesMatcher]

    /// Empty `selectors` watches every series. Throws `SeriesMatcher.InvalidRegex`.
    public init(_ selectors: [SeriesSelector]) throws {
        self.selectors = try selectors.map { try SeriesMatcher($0.matchers) }
    }

    public func matches(_ labels: [(name: String, value: String)]) -> Bool {
        selectors.isEmpty || selectors.contains { $0.matches(labels) }
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
