import SeismoAlerting
import SeismoExport

/// One alert from firing to resolve, rebuilt from the event log.
public struct AlertSpan: Sendable {
    public var rule: String
    public var labels: [String: String]
    public var group: [String: String]
    /// Top-scoring series when it fired, then (if different) when it resolved.
    public var topSeries: [[String: String]]
    public var firedSecond: Int64
    /// nil: still firing at the end of the log.
    public var resolvedSecond: Int64?
    public var score: Double?

    /// The seconds it was firing, with an open alert counted up to `openEnd`.
    func end(openEnd: Int64) -> Int64 { resolvedSecond ?? max(openEnd, firedSecond) }
}

/// Pairs the log's fired/resolved events into spans. A resolve without a firing before it
/// (the log started while the alert was firing) has nothing to pair with and is dropped.
public enum AlertHistory {
    public static func spans(_ events: [AlertEvent]) -> [AlertSpan] {
        var spans: [AlertSpan] = []
        var open: [String: Int] = [:]
        for e in events {
            switch e.kind {
            case .firing:
                // A second firing without a resolve (Seismo restarted mid-alert) starts anew.
                open[e.identity] = spans.count
                spans.append(AlertSpan(rule: e.rule, labels: e.labels, group: e.group, topSeries: [e.series],
                                       firedSecond: e.second, resolvedSecond: nil, score: e.score))
            case .resolved:
                guard let k = open.removeValue(forKey: e.identity) else { continue }
                spans[k].resolvedSecond = max(e.second, spans[k].firedSecond)
                if !e.series.isEmpty && !spans[k].topSeries.contains(e.series) { spans[k].topSeries.append(e.series) }
            }
        }
        return spans.sorted { ($0.firedSecond, $0.rule) < ($1.firedSecond, $1.rule) }
    }
}

/// The summary table's numbers: which labeled intervals an alert caught, how late, which
/// alerts caught nothing. An alert "overlaps" an interval when the seconds it was firing
/// and the interval's seconds share at least one second.
public struct Evaluation: Sendable {
    public struct IntervalRow: Sendable {
        public var interval: LabelInterval
        /// Indices into the alert list of the alerts overlapping it.
        public var alerts: [Int]
        /// First firing among them minus the interval's first second (negative: the alert
        /// was already firing when the interval began).
        public var delaySeconds: Int64?
    }

    public var intervals: [IntervalRow]
    /// Indices of alerts overlapping no labeled interval.
    public var falseAlerts: [Int]

    public var missed: Int { intervals.filter { $0.alerts.isEmpty }.count }
    public var detected: Int { intervals.count - missed }
    public var meanDelaySeconds: Double? {
        let d = intervals.compactMap(\.delaySeconds)
        return d.isEmpty ? nil : Double(d.reduce(0, +)) / Double(d.count)
    }

    public init(alerts: [AlertSpan], intervals: [LabelInterval], openEnd: Int64) {
        var rows: [IntervalRow] = []
        var used = Set<Int>()
        for interval in intervals {
            let a = interval.firstSecond, b = interval.endSecond  // [a, b)
            let hits = alerts.indices.filter { k in
                alerts[k].firedSecond < b && alerts[k].end(openEnd: openEnd) >= a
            }
            used.formUnion(hits)
            let first = hits.map { alerts[$0].firedSecond }.min()
            rows.append(IntervalRow(interval: interval, alerts: hits, delaySeconds: first.map { $0 - a }))
        }
        self.intervals = rows
        falseAlerts = alerts.indices.filter { !used.contains($0) }
    }
}
