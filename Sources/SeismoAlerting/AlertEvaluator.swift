import Foundation

/// The alert state machine: group scores in, Alertmanager alerts out. Pure (no I/O, no
/// clock of its own), so every transition is testable with made-up times.
///
/// Two clocks on purpose: `for:` and resolve holds count *data seconds* (the sample
/// timestamps), so replayed or delayed data behaves as it would have live; re-sends,
/// staleness and Alertmanager timestamps use the wall clock `now`, because that is what
/// Alertmanager's own `endsAt` expiry runs on.
///
/// Per (rule, group): inactive → pending (score ≥ threshold) → firing (held `for`) →
/// resolved (score < resolve.below held `resolve.for`, or no data for `staleAfter`).
/// A pending alert whose score drops below the threshold goes back to inactive unsent.
/// A non-finite score (detector warming up) counts as "no anomaly".
///
/// Thread-confined: one instance per running rule set, the caller serialises calls.
public final class AlertEvaluator {
    /// Firing alerts are re-sent this often (wall seconds) …
    public var resendInterval: TimeInterval = 60
    /// … each time with `endsAt = now + firingLifetime`. Four re-send intervals, so two
    /// lost sends do not let Alertmanager expire a still-firing alert (as Prometheus does).
    public var firingLifetime: TimeInterval = 240
    /// A pending or firing group with no observation for this long is dropped/resolved:
    /// the series stopped reporting, so the alert must not hang on forever.
    public var staleAfter: TimeInterval = 300
    /// Resolved alerts stay in `snapshot()` and are re-sent (in case Alertmanager missed
    /// the resolve, e.g. it restarted) for this long.
    public var keepResolved: TimeInterval = 900

    private let generatorBase: String
    private var rules: [CompiledRule] = []
    private var states: [String: GroupState] = [:]
    /// Resolves owed for firing alerts whose rule disappeared in a reload; sent by `due`.
    private var orphanResolves: [Alert] = []
    /// Transitions since the last `takeEvents`, for the alert history log.
    private var events: [AlertEvent] = []

    public init(rules: RuleSet, generatorURL: String) {
        var base = generatorURL
        while base.hasSuffix("/") { base.removeLast() }
        generatorBase = base
        self.rules = rules.rules.map(CompiledRule.init)
    }

    // MARK: observations

    /// One group score observation for rule `rule` (index into rules) and group `group`
    /// (label pairs of groupBy), at data second `second`, with the top-scoring series of the
    /// group (its labels, its value) for templates. Returns the alerts whose state changed
    /// to firing or resolved (to send).
    public func observe(rule: Int, group: [(name: String, value: String)], second: Int64, score: Double,
                        topSeries: [(name: String, value: String)], value: Double, now: Date) -> [Alert] {
        guard rules.indices.contains(rule) else { return [] }
        let r = rules[rule]
        let key = Self.key(rule: r.rule.name, group: group)
        let score = score.isFinite ? score : 0
        let existing = states[key]
        // The common case, a quiet group, returns before any template or label work:
        // this runs for every group every second.
        if score < r.rule.threshold, existing == nil || existing?.state == .resolved { return [] }
        let context = AlertTemplate.Context(labels: Self.merge(topSeries, group), score: score, value: value)

        guard var s = existing, s.state != .resolved else {
            // Inactive (or resolved earlier) and at the threshold: a new alert starts.
            var s = GroupState(rule: r.rule.name, labels: alertLabels(r, group: group, context: context),
                               activeAt: now, activeSecond: second)
            s.group = Dictionary(group.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            s.update(second: second, score: score, value: value, context: context, rule: r, now: now)
            if r.rule.forSeconds == 0 {
                let alert = fire(&s, now: now)
                states[key] = s
                return [alert]
            }
            states[key] = s
            return []
        }
        // Data seconds go forward; a late observation for an older second is stale news.
        guard second >= s.lastSecond else { return [] }
        s.update(second: second, score: score, value: value, context: context, rule: r, now: now)

        switch s.state {
        case .pending:
            guard score >= r.rule.threshold else {
                states[key] = nil
                return []
            }
            if second - s.activeSecond >= r.rule.forSeconds {
                let alert = fire(&s, now: now)
                states[key] = s
                return [alert]
            }
            states[key] = s
            return []
        case .firing:
            guard score < r.rule.resolveThreshold else {
                s.belowSince = nil
                states[key] = s
                return []
            }
            let since = s.belowSince ?? second
            s.belowSince = since
            if second - since >= r.rule.resolveForSeconds {
                let alert = resolve(&s, now: now)
                states[key] = s
                return [alert]
            }
            states[key] = s
            return []
        case .resolved:
            return []
        }
    }

    /// Whether `observe` would act on a quiet score of this group: it holds a pending or
    /// firing state for it. A caller may skip `observe` for quiet scores of groups
    /// without one (kept across `replaceRules` only for rules whose name is unchanged).
    public func holdsState(rule: Int, group: [(name: String, value: String)]) -> Bool {
        guard rules.indices.contains(rule),
              let s = states[Self.key(rule: rules[rule].rule.name, group: group)] else { return false }
        return s.state != .resolved
    }

    /// Alerts still firing that must be re-sent now, resolved alerts re-sent while kept,
    /// and groups with no data for `staleAfter` resolved.
    public func due(now: Date) -> [Alert] {
        var out = orphanResolves
        orphanResolves = []
        for key in states.keys.sorted() {
            guard var s = states[key] else { continue }
            let silent = now.timeIntervalSince(s.lastObserved) >= staleAfter
            switch s.state {
            case .pending:
                if silent { states[key] = nil }
            case .firing:
                if silent {
                    out.append(resolve(&s, now: now))
                    states[key] = s
                } else if now.timeIntervalSince(s.lastSent) >= resendInterval {
                    s.lastSent = now
                    out.append(alert(for: s, endsAt: now.addingTimeInterval(firingLifetime)))
                    states[key] = s
                }
            case .resolved:
                let resolvedAt = s.resolvedAt ?? now
                if now.timeIntervalSince(resolvedAt) >= keepResolved {
                    states[key] = nil
                } else if now.timeIntervalSince(s.lastSent) >= resendInterval {
                    s.lastSent = now
                    out.append(alert(for: s, endsAt: resolvedAt))
                    states[key] = s
                }
            }
        }
        return out
    }

    /// Active (pending/firing) and recently resolved alerts with scores, for GET /api/v1/alerts.
    public func snapshot() -> [AlertStatus] {
        states.keys.sorted().compactMap { key in
            guard let s = states[key] else { return nil }
            return AlertStatus(rule: s.rule, state: s.state, score: s.score, value: s.value, series: s.series,
                               activeAt: s.activeAt, firedAt: s.firedAt, resolvedAt: s.resolvedAt,
                               labels: s.labels, annotations: s.annotations)
        }
    }

    /// Hot reload: keep state of rules whose name is unchanged (the new thresholds apply
    /// from the next observation; labels rendered at activation stay until the alert
    /// resolves, since changing them would orphan the alert in Alertmanager). Firing alerts
    /// of removed rules are resolved by the next `due`.
    public func replaceRules(_ rules: RuleSet) {
        self.rules = rules.rules.map(CompiledRule.init)
        let kept = Set(rules.rules.map(\.name))
        let now = Date()
        for key in states.keys.sorted() {
            guard var s = states[key], !kept.contains(s.rule) else { continue }
            if s.state == .firing { orphanResolves.append(resolve(&s, now: now)) }
            states[key] = nil
        }
    }

    /// Fired/resolved transitions since the last call (each exactly once), so the caller
    /// can persist the alert history; re-sends are not transitions and do not appear.
    public func takeEvents() -> [AlertEvent] {
        defer { events.removeAll() }
        return events
    }

    // MARK: transitions

    private func fire(_ s: inout GroupState, now: Date) -> Alert {
        s.state = .firing
        s.firedAt = now
        s.lastSent = now
        s.belowSince = nil
        record(.firing, s, now: now)
        return alert(for: s, endsAt: now.addingTimeInterval(firingLifetime))
    }

    private func resolve(_ s: inout GroupState, now: Date) -> Alert {
        // Alertmanager refuses endsAt before startsAt (400), which a wall clock stepping
        // back could otherwise produce.
        let at = max(now, s.activeAt)
        s.state = .resolved
        s.resolvedAt = at
        s.lastSent = now
        record(.resolved, s, now: now)
        return alert(for: s, endsAt: at)
    }

    private func record(_ kind: AlertEvent.Kind, _ s: GroupState, now: Date) {
        var series: [String: String] = [:]
        for l in s.context.labels where !l.value.isEmpty && series[l.name] == nil { series[l.name] = l.value }
        events.append(AlertEvent(kind: kind, rule: s.rule, labels: s.labels, group: s.group, series: series,
                                 score: s.score, second: s.lastSecond, time: now))
    }

    private func alert(for s: GroupState, endsAt: Date) -> Alert {
        Alert(labels: s.labels, annotations: s.annotations, startsAt: s.activeAt, endsAt: endsAt,
              generatorURL: generatorURL(rule: s.rule))
    }

    /// Points back at Seismo's alert list, filtered to the rule, so a click in
    /// Alertmanager's UI lands on the scores that raised the alert.
    private func generatorURL(rule: String) -> String {
        guard !generatorBase.isEmpty else { return "" }
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+#")
        let name = rule.addingPercentEncoding(withAllowedCharacters: allowed) ?? rule
        return "\(generatorBase)/api/v1/alerts?rule=\(name)"
    }

    /// alertname + group labels + the rule's labels. Rendered once, when the alert becomes
    /// pending: the label set is the alert's identity in Alertmanager.
    private func alertLabels(_ r: CompiledRule, group: [(name: String, value: String)],
                             context: AlertTemplate.Context) -> [String: String] {
        var labels: [String: String] = [:]
        for (name, template) in r.labels {
            let v = template.render(context)
            if !v.isEmpty { labels[name] = v }
        }
        // Alertmanager drops empty-valued labels itself; dropping them here keeps Seismo's
        // view of the identity the same as Alertmanager's.
        for (name, value) in group where !value.isEmpty { labels[name] = value }
        labels["alertname"] = r.rule.name
        return labels
    }

    private static func key(rule: String, group: [(name: String, value: String)]) -> String {
        rule + "\u{1E}" + group.map { "\($0.name)\u{1F}\($0.value)" }.joined(separator: "\u{1E}")
    }

    /// Template labels: the top series' labels, plus group labels it lacks.
    private static func merge(_ series: [(name: String, value: String)],
                              _ group: [(name: String, value: String)]) -> [(name: String, value: String)] {
        var out = series
        for g in group where !series.contains(where: { $0.name == g.name }) { out.append(g) }
        return out
    }
}

/// A rule with its templates compiled. Rules from `RuleSet.parse` were validated already;
/// one built in code with a broken template renders its text literally instead of failing.
private struct CompiledRule {
    let rule: AlertRule
    let labels: [(String, AlertTemplate)]
    let annotations: [(String, AlertTemplate)]

    init(_ rule: AlertRule) {
        self.rule = rule
        func compile(_ map: [String: String]) -> [(String, AlertTemplate)] {
            map.sorted { $0.key < $1.key }.map { name, text in
                (name, (try? AlertTemplate(text)) ?? AlertTemplate(literal: text))
            }
        }
        labels = compile(rule.labels)
        annotations = compile(rule.annotations)
    }
}

/// Everything known about one (rule, group).
private struct GroupState {
    let rule: String
    var state: AlertStatus.State = .pending
    var labels: [String: String]
    var group: [String: String] = [:]
    var score: Double = 0
    var value: Double = .nan
    /// Latest template inputs and the rule's annotation templates. Annotations are
    /// rendered only when an alert or a snapshot is built, not on every observation:
    /// a firing group is observed every second, but sent once a minute.
    var context = AlertTemplate.Context(labels: [], score: 0, value: .nan)
    var annotationTemplates: [(String, AlertTemplate)] = []
    var activeAt: Date
    var activeSecond: Int64
    var firedAt: Date?
    var resolvedAt: Date?
    var lastSecond: Int64 = .min
    var lastObserved: Date
    var lastSent: Date = .distantPast
    /// First data second of the current run of scores below resolve.below.
    var belowSince: Int64?

    init(rule: String, labels: [String: String], activeAt: Date, activeSecond: Int64) {
        self.rule = rule
        self.labels = labels
        self.activeAt = activeAt
        self.activeSecond = activeSecond
        self.lastObserved = activeAt
    }

    mutating func update(second: Int64, score: Double, value: Double, context: AlertTemplate.Context,
                         rule: CompiledRule, now: Date) {
        lastSecond = second
        lastObserved = now
        self.score = score
        self.value = value
        self.context = context
        annotationTemplates = rule.annotations
    }

    var annotations: [String: String] {
        var rendered: [String: String] = [:]
        for (name, template) in annotationTemplates { rendered[name] = template.render(context) }
        return rendered
    }

    /// The top series of the latest observation, as a selector.
    var series: String { AlertTemplate.canonicalSelector(context.labels) }
}
