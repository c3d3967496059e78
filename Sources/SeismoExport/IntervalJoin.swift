/// Joins labelled intervals onto export rows.
///
/// Rules (docs/export.md):
/// - row `t` (a second) is inside `[from, to)` when `from <= t*1000 < to`, so an interval
///   from 100 to 120 marks rows 100…119 and the next interval may start at 120;
/// - `anomaly` is 1 when any anomaly interval covers the row (overlaps simply merge);
/// - `state` is that of the covering state interval that started last (a nested phase
///   overrides the enclosing one); equal starts: the one given later wins;
/// - with `--step N`, a row stands for `[t, t+N)`: `anomaly` is 1 if any of those seconds
///   is, `state` is the state of the last of them (as values are the last per step).
public struct IntervalJoin: Sendable {
    private let anomalies: [(first: Int64, end: Int64)]
    /// Sorted so that applying them in order leaves the winning state on each row.
    private let states: [(first: Int64, end: Int64, state: String)]

    public init(_ intervals: [LabelInterval]) {
        anomalies = intervals.filter(\.isAnomaly).map { ($0.firstSecond, $0.endSecond) }.sorted { $0.first < $1.first }
        states = intervals.enumerated().compactMap { k, i in i.state.map { (i.firstSecond, i.endSecond, $0, k) } }
            .sorted { ($0.0, $0.3) < ($1.0, $1.3) }
            .map { ($0.0, $0.1, $0.2) }
    }

    public var isEmpty: Bool { anomalies.isEmpty && states.isEmpty }

    /// Labels for `rows` output rows starting at second `fromSecond`, each covering `step` seconds.
    public func labels(fromSecond: Int64, rows: Int, step: Int64) -> (anomaly: [Int32], state: [String?]) {
        var anomaly = [Int32](repeating: 0, count: rows)
        var state = [String?](repeating: nil, count: rows)
        let end = fromSecond + Int64(rows) * step
        for a in anomalies where a.end > fromSecond && a.first < end {
            // Rows whose span [t, t+step) meets [first, end).
            let lo = max(0, floorDiv(a.first - fromSecond, step))
            let hi = min(Int64(rows), ceilDiv(a.end - fromSecond, step))
            if lo < hi { for r in Int(lo)..<Int(hi) { anomaly[r] = 1 } }
        }
        for s in states where s.end > fromSecond && s.first < end {
            // A row takes the state at its last second t + step - 1.
            let lo = max(0, ceilDiv(s.first - fromSecond - step + 1, step))
            let hi = min(Int64(rows), ceilDiv(s.end - fromSecond - step + 1, step))
            if lo < hi { for r in Int(lo)..<Int(hi) { state[r] = s.state } }
        }
        return (anomaly, state)
    }
}
