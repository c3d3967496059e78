import SeismoAlerting
import SeismoDetect
import SeismoModel
import SeismoStore

/// What the pipeline knows about one stored series: which rules watch it, with one
/// detector per watching rule. Decided once, the first time the series is seen.
///
/// Laid out for the common case, one baseline rule watching the series (the built-in
/// rule): that watch's detector lives inline, so a series costs 72 bytes in the table
/// and no allocation of its own. A series with any other set of watches keeps them,
/// in rule order, in the pipeline's table of watch lists, at `index`.
struct WatchedSeries {
    /// A watch kept in a watch list.
    struct Watch {
        var group: Int32
        var member: Int32
        var detector: DetectorState
    }

    /// Last second seen, finite or not (a detector remembers only finite ones).
    var lastSecond: Int64 = .min
    /// Detector of the inline watch, when `group >= 0`.
    var inline: BaselineState
    /// The inline watch's group when `>= 0`, else `listed`, `unwatched` or `unclassified`.
    var group: Int32
    /// The inline watch's member number in its group, or the index of the watch list.
    var index: Int32 = 0

    static let listed: Int32 = -1
    static let unwatched: Int32 = -2
    static let notClassified: Int32 = -3
    /// A table slot for a series id not seen yet.
    static let unclassified = WatchedSeries(inline: BaselineState(isCounter: false), group: notClassified)

    init(inline: BaselineState, group: Int32, index: Int32 = 0) {
        self.inline = inline
        self.group = group
        self.index = index
    }

    var isClassified: Bool { group != Self.notClassified }
    var isWatched: Bool { group >= 0 || group == Self.listed }
}

/// One alert group of one rule (the series sharing the rule's `group_by` label values).
/// A value in the pipeline's group table, updated in place: as a class, every score
/// filed into it cost a retain and a release of the group.
struct WatchGroup {
    let rule: Int
    let labels: [(name: String, value: String)]
    /// Members are numbered in the order they join; the scorer keys on that number.
    var scorer: GroupScorer
    var second: Int64 = .min
    var score = 0.0
    var topSeries: UInt32 = 0
    var topScore = -1.0
    var topValue = Double.nan
    var dirty = false
    /// The rule's alert threshold, copied here so the quiet-group check in `flush`
    /// reads no other table.
    let threshold: Double
    /// Whether the alert evaluator may hold a state (pending, firing) for this group.
    /// A new group starts with one only if a reload kept it (`classify` asks the
    /// evaluator). It can only gain one from a score at or above the threshold, and until then
    /// it ignores the group's scores (AlertEvaluator.observe returns at once for a
    /// quiet group without state): so until the first such score the pipeline skips
    /// the call, and with it the top series' label lookup, the evaluator's lock and
    /// its key string, which together cost more than scoring the group's samples.
    var mayHoldAlert: Bool
    /// Stored score series for this group (`seismo:score{rule=…, <group_by labels>}`).
    let scoreKey: [UInt8]

    init(rule: Int, ruleName: String, labels: [(name: String, value: String)], combination: GroupScorer.Combination,
         threshold: Double, mayHoldAlert: Bool) {
        self.rule = rule
        self.threshold = threshold
        self.mayHoldAlert = mayHoldAlert
        scorer = GroupScorer(combination: combination)
        self.labels = labels
        scoreKey = LabelKey.encode(WatchGroup.scoreLabels(ruleName: ruleName, group: labels))
    }

    static func scoreLabels(ruleName: String, group: [(name: String, value: String)]) -> [(name: String, value: String)] {
        var labels = [(name: "__name__", value: WatchPipeline.scoreMetric), (name: "rule", value: ruleName)]
        for l in group where l.name != "__name__" && l.name != "rule" { labels.append(l) }
        return labels
    }
}

/// The compiled form of a rule set: each rule's series filter compiled once.
struct CompiledRules {
    let set: RuleSet
    let filters: [RuleSeriesFilter]
    /// Every rule runs its detector with the default parameters; packed once here
    /// and passed into each update.
    let parameters = PackedParameters.default

    init(_ set: RuleSet) throws {
        self.set = set
        filters = try set.rules.map { try $0.seriesFilter() }
    }

    func watches(_ labels: [(name: String, value: String)], rule: Int) -> Bool {
        filters[rule].matches(labels)
    }

    func groupLabels(_ labels: [(name: String, value: String)], rule: Int) -> [(name: String, value: String)] {
        set.rules[rule].group(of: labels)
    }
}
