import SeismoAlerting
import SeismoDetect
import SeismoModel
import SeismoStore

/// What the pipeline knows about one stored series: which rules watch it, with one
/// detector per watching rule. Decided once, the first time the series is seen.
struct WatchedSeries {
    struct Watch {
        var rule: Int
        var group: Int
        var member: Int
        var detector: SeriesDetector
    }
    var watches: [Watch]
    var lastSecond: Int64 = .min
}

/// One alert group of one rule (the series sharing the rule's `group_by` label values).
final class WatchGroup {
    let rule: Int
    let labels: [(name: String, value: String)]
    var scorer: GroupScorer
    /// Members are numbered in the order they join; the scorer keys on that number.
    var memberCount = 1
    var hasFirstMember = false
    var second: Int64 = .min
    var score = 0.0
    var topSeries: UInt32 = 0
    var topScore = -1.0
    var topValue = Double.nan
    var dirty = false
    /// Stored score series for this group (`seismo:score{rule=…, <group_by labels>}`).
    let scoreKey: [UInt8]

    init(rule: Int, ruleName: String, labels: [(name: String, value: String)]) {
        self.rule = rule
        self.labels = labels
        scorer = GroupScorer(memberCount: 1)
        scoreKey = LabelKey.encode(WatchGroup.scoreLabels(ruleName: ruleName, group: labels))
    }

    static func scoreLabels(ruleName: String, group: [(name: String, value: String)]) -> [(name: String, value: String)] {
        var labels = [(name: "__name__", value: WatchPipeline.scoreMetric), (name: "rule", value: ruleName)]
        for l in group where l.name != "__name__" && l.name != "rule" { labels.append(l) }
        return labels
    }
}

/// The compiled form of a rule set: matchers compiled once, groups by key.
struct CompiledRules {
    let set: RuleSet
    let matchers: [[SeriesMatcher]]

    init(_ set: RuleSet) throws {
        self.set = set
        matchers = try set.rules.map { rule in try rule.selectors.map { try SeriesMatcher($0.matchers) } }
    }

    func watches(_ labels: [(name: String, value: String)], rule: Int) -> Bool {
        let list = matchers[rule]
        return list.isEmpty || list.contains { $0.matches(labels) }
    }

    func groupLabels(_ labels: [(name: String, value: String)], rule: Int) -> [(name: String, value: String)] {
        set.rules[rule].groupBy.map { name in (name: name, value: labels.first { $0.name == name }?.value ?? "") }
    }
}
