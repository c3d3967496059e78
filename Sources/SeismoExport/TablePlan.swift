import SeismoModel
import SeismoStore

/// One output series column.
public struct PlannedColumn: Sendable {
    public let series: ExportSeriesRef
    public let name: String
}

/// The resolved shape of an export: row range and step, columns in order, windows.
public struct TablePlan: Sendable {
    public var fromSecond: Int64
    /// Exclusive.
    public var endSecond: Int64
    public var step: Int64
    public var columns: [PlannedColumn]
    public var withLabels: Bool
    public var join: IntervalJoin
    public var intervals: [LabelInterval]
    /// Seconds per window (= row group before `--step`).
    public var windowSeconds: Int64
    public var options: ExportOptions

    public var rowCount: Int64 { endSecond > fromSecond ? ceilDiv(endSecond - fromSecond, step) : 0 }

    /// The windows `[start, end)` in order. With step 1 they are aligned to multiples of
    /// `windowSeconds` since the epoch, so they line up with hour segments and each
    /// segment file is decoded once; with a step they start at `fromSecond` so steps never
    /// straddle two windows.
    public func windows() -> [(start: Int64, end: Int64)] {
        guard endSecond > fromSecond else { return [] }
        var out: [(Int64, Int64)] = []
        var start = fromSecond
        while start < endSecond {
            let next = step == 1 ? (floorDiv(start, windowSeconds) + 1) * windowSeconds : start + windowSeconds
            out.append((start, min(next, endSecond)))
            start = next
        }
        return out
    }

    func dropping(columnsWhere drop: (Int) -> Bool) -> TablePlan {
        var p = self
        p.columns = columns.enumerated().filter { !drop($0.offset) }.map(\.element)
        return p
    }
}

enum ExportPlanner {
    static func plan(options: ExportOptions, session: StoreWindowSession, storedIntervals: [LabelInterval]) throws -> TablePlan {
        guard options.stepSeconds >= 1 else { throw ExportError("step must be at least 1s") }
        guard options.fillLimitSeconds >= 0 else { throw ExportError("fill limit must not be negative") }
        let filters = try options.selectors.map { m -> SeriesFilter in
            do { return try SeriesFilter(m) } catch { throw ExportError("\(error)") }
        }
        var selected = session.catalogSeries().filter { s in filters.isEmpty || filters.contains { $0.matches(s.labels) } }
        selected.sort { labelsPrecede($0.labels, $1.labels) }
        let names = options.thesis ? ThesisLayout.columnNames(selected) : selected.map(\.selector)
        let columns = zip(selected, names).map { PlannedColumn(series: $0, name: $1) }

        let bounds = try session.dataBounds()
        let from = options.fromMs.map { ceilDiv($0, 1000) } ?? bounds?.first ?? 0
        let end = options.toMs.map { ceilDiv($0, 1000) } ?? bounds.map { $0.last + 1 } ?? from
        if let f = options.fromMs, let t = options.toMs, t <= f {
            throw ExportError("end \(ExportTime.rfc3339(seconds: floorDiv(t, 1000))) is not after start \(ExportTime.rfc3339(seconds: floorDiv(f, 1000)))")
        }
        let intervals = options.labelIntervals + (options.useStoredIntervals ? storedIntervals : [])
        let withLabels = options.labelColumns || options.thesis || !intervals.isEmpty

        // 10 bytes per cell (value + presence tag); an hour when it fits, else less.
        let perSecond = max(1, columns.count) * 10
        var window: Int64 = 3600
        for candidate: Int64 in [3600, 1800, 1200, 900, 600, 300, 120, 60] {
            window = candidate
            if Int64(perSecond) * candidate <= Int64(options.maxWindowBytes) { break }
        }
        if options.stepSeconds > 1 { window = options.stepSeconds * max(1, window / options.stepSeconds) }
        return TablePlan(fromSecond: from, endSecond: max(from, end), step: options.stepSeconds, columns: columns,
                         withLabels: withLabels, join: IntervalJoin(intervals), intervals: intervals,
                         windowSeconds: window, options: options)
    }

    /// Prometheus' label-set order: pairwise by name, then value, bytewise; a prefix first.
    static func labelsPrecede(_ a: [(name: String, value: String)], _ b: [(name: String, value: String)]) -> Bool {
        for (x, y) in zip(a, b) {
            if x.name != y.name { return x.name.utf8.lexicographicallyPrecedes(y.name.utf8) }
            if x.value != y.value { return x.value.utf8.lexicographicallyPrecedes(y.value.utf8) }
        }
        return a.count < b.count
    }
}
