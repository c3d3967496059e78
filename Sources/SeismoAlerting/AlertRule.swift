import SeismoDetect
import SeismoModel

/// One rule of a rules file: which series a detector watches, and when its group score
/// turns into an alert. See docs/alerting.md for the YAML form.
public struct AlertRule: Sendable {
    /// Becomes the `alertname` label; unique within a rule set (hot reload keys state by it).
    public var name: String
    /// Series watched (OR of selectors); empty = every series.
    public var selectors: [SeriesSelector]
    public var detector: DetectorKind
    /// Group score ≥ threshold → pending.
    public var threshold: Double
    /// Pending this long (data seconds) → firing; 0 = fire at once.
    public var forSeconds: Int64
    /// Hysteresis: firing resolves when score < this …
    public var resolveThreshold: Double
    /// … for this many consecutive data seconds.
    public var resolveForSeconds: Int64
    /// Label names forming the group (default ["instance"]).
    public var groupBy: [String]
    /// How the member scores of a group combine (YAML `group_score`, default noisy_or).
    public var groupScore: GroupScorer.Combination
    /// Extra alert labels (templated; rendered once when the alert becomes pending).
    public var labels: [String: String]
    /// Templated: {{ $labels.x }}, {{ $score }}, {{ $value }}, {{ $series }}; re-rendered on
    /// every observation so the text Alertmanager shows follows the latest score.
    public var annotations: [String: String]

    public init(name: String, selectors: [SeriesSelector] = [], detector: DetectorKind = .baseline,
                threshold: Double, forSeconds: Int64 = 0, resolveThreshold: Double? = nil,
                resolveForSeconds: Int64 = 0, groupBy: [String] = ["instance"],
                groupScore: GroupScorer.Combination = .noisyOr, labels: [String: String] = [:], annotations: [String: String] = [:]) {
        self.name = name
        self.selectors = selectors
        self.detector = detector
        self.threshold = threshold
        self.forSeconds = forSeconds
        self.resolveThreshold = resolveThreshold ?? threshold
        self.resolveForSeconds = resolveForSeconds
        self.groupBy = groupBy
        self.groupScore = groupScore
        self.labels = labels
        self.annotations = annotations
    }
}

/// All rules of one rules file.
public struct RuleSet: Sendable {
    public var rules: [AlertRule]

    public init(rules: [AlertRule]) {
        self.rules = rules
    }

    /// Used when `seismo serve` gets no rules file, so a first run alerts with zero
    /// configuration. The thresholds are strict on purpose: a score of 0.99 held for 30 s
    /// is far outside what a quiet system produces, and the long resolve hold (score below
    /// 0.7 for 2 min) stops one noisy series from flapping an alert on and off.
    public static let builtInDefault = RuleSet(rules: [
        AlertRule(
            name: "SeismoAnomaly",
            selectors: [],
            detector: .baseline,
            threshold: 0.99,
            forSeconds: 30,
            resolveThreshold: 0.7,
            resolveForSeconds: 120,
            groupBy: ["instance"],
            // Every series of an instance is one group (a thousand for node_exporter):
            // a noisy-OR over that many sat at 1 on a quiet node, so the built-in rule
            // asks whether unusually many series are anomalous at once.
            groupScore: .count,
            labels: ["severity": "warning"],
            annotations: [
                "summary": "{{ $series }} is anomalous (score {{ $score }})",
                "description": "Seismo's baseline detector scored {{ $series }} at {{ $score }}; last value {{ $value }}.",
            ]
        )
    ])
}
