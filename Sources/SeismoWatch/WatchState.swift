import SeismoAlerting
import SeismoDetect
import SeismoModel
import SeismoStore

/// What the pipeline knows about one stored series: which rules watch it, with one
/// detector per watching rule. Decided once, the first time the series is seen.
///
/// Laid out for the common case, one baseline rule watching the series (the built-in
/// rule): that watch's detector lives inline, so a series costs 80 bytes in the table
/// and no allocation of its own. Further watches, and an adaptive first watch, go to
/// `others` (an empty array allocates nothing). The inline watch is always the first
/// rule's, so watches are still scored in rule order.
struct WatchedSeries {
    /// A watch that does not fit inline.
    struct Watch {
        var group: Int32
        var member: Int32
        var detector: DetectorState
    }

    /// Last second seen, finite or not (a detector remembers only finite ones).
    var lastSecond: Int64 = .min
    var others: [Watch] = []
    /// Detector of the inline watch, when `inlineGroup >= 0`.
    var inline: BaselineState
    /// Group of the inline watch; `noInline` when there is none, `unclassified`
    /// before the series is classified. Sits in `inline`'s tail padding.
    var inlineGroup: Int32
    var inlineMember: Int32 = 0

    static let noInline: Int32 = -1
    static let unclassified = WatchedSeries(inline: BaselineState(isCounter: false), inlineGroup: -2)

    var isClassified: Bool { inlineGroup != -2 }
    var isWatched: Bool { inlineGroup >= 0 || !others.isEmpty }
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
    /// Labels of the last top series looked up: the top series rarely changes from one
    /// second to the next, and each lookup takes the store's lock.
    private var cachedTop: (id: UInt32, labels: [(name: String, value: String)])?
    /// Stored score series for this group (`seismo:score{rule=…, <group_by labels>}`).
    let scoreKey: [UInt8]

    init(rule: Int, ruleName: String, labels: [(name: String, value: String)], combination: GroupScorer.Combination) {
        self.rule = rule
        scorer = GroupScorer(combination: combination)
        self.labels = labels
        scoreKey = LabelKey.encode(WatchGroup.scoreLabels(ruleName: ruleName, group: labels))
    }

    mutating func topLabels(_ store: Store) -> [(name: String, value: String)] {
        if let cachedTop, cachedTop.id == topSeries { return cachedTop.labels }
        let labels = store.labels(ofSeries: topSeries)
        cachedTop = (topSeries, labels)
        return labels
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
