import SeismoModel
import SeismoStore

/// The report's view of the store: finds series by labels and reads their samples over a
/// time window, through the same window-reading session the export uses (so it works on
/// a data directory and on a running server's store alike).
final class SeriesReader {
    static let scoreMetric = "seismo:score"

    let session: StoreWindowSession
    let catalog: [ExportSeriesRef]
    /// Bounds one read's cell buffers (rows × series × 10 bytes).
    var windowRows = 3600

    init(session: StoreWindowSession) {
        self.session = session
        catalog = session.catalogSeries()
    }

    /// Samples of each series in [from, to] (seconds); stale markers become NaN (a break).
    /// Over long ranges each of about `maxBuckets` time buckets keeps its minimum and
    /// maximum only, so a report over a month holds thousands of points per series, not
    /// millions, and still shows every spike.
    func points(_ series: [ExportSeriesRef], from: Int64, to: Int64, maxBuckets: Int64 = 2000)
        throws -> [[(second: Int64, value: Double)]] {
        guard !series.isEmpty, to >= from else { return Array(repeating: [], count: series.count) }
        var reducers = Array(repeating: MinMaxReducer(bucket: max(1, (to - from + 1) / maxBuckets)), count: series.count)
        let buffers = WindowBuffers(columns: series.count, capacityRows: Int(min(Int64(windowRows), to - from + 1)))
        var start = from
        while start <= to {
            let rows = Int(min(Int64(buffers.capacityRows), to - start + 1))
            buffers.reset(rows: rows)
            try session.fill(series, fromSecond: start, into: buffers)
            for k in series.indices {
                let values = buffers.values(k), presence = buffers.presence(k)
                for r in 0..<rows where presence[r] != 0 {
                    let bits = values[r]
                    reducers[k].add(start + Int64(r), bits == staleMarkerBits ? .nan : Double(bitPattern: bits))
                }
            }
            start += Int64(rows)
        }
        return reducers.map { r in
            var r = r
            return r.finish()
        }
    }

    /// The series with exactly these labels (empty values mean "label absent", as in Prometheus).
    func find(_ labels: [String: String]) -> ExportSeriesRef? {
        let want = labels.filter { !$0.value.isEmpty }
        return catalog.first { ref in
            let have = ref.labels.filter { !$0.value.isEmpty }
            return have.count == want.count && have.allSatisfy { want[$0.name] == $0.value }
        }
    }

    /// `seismo:score` series, optionally of one rule and one group.
    func scoreSeries(rule: String? = nil, group: [String: String]? = nil) -> [ExportSeriesRef] {
        catalog.filter { ref in
            guard value(ref, "__name__") == Self.scoreMetric else { return false }
            if let rule, value(ref, "rule") != rule { return false }
            if let group {
                let have = Self.group(ofScore: ref)
                let want = group.filter { !$0.value.isEmpty }
                return have == want
            }
            return true
        }
    }

    /// The group_by labels a score series carries (everything but its name and rule).
    static func group(ofScore ref: ExportSeriesRef) -> [String: String] {
        var g: [String: String] = [:]
        for l in ref.labels where l.name != "__name__" && l.name != "rule" && !l.value.isEmpty { g[l.name] = l.value }
        return g
    }

    /// Data series that belong to a group: they carry every group label value, are not
    /// Seismo's own, and pass `filters` (the rule's selectors and --match; any one of a
    /// list suffices, an empty list passes everything).
    func members(of group: [String: String], filters: [[SeriesFilter]]) -> [ExportSeriesRef] {
        catalog.filter { ref in
            guard !(value(ref, "__name__") ?? "").hasPrefix("seismo:") else { return false }
            for (name, v) in group where !v.isEmpty && value(ref, name) != v { return false }
            return filters.allSatisfy { list in list.isEmpty || list.contains { $0.matches(ref.labels) } }
        }
    }

    private func value(_ ref: ExportSeriesRef, _ name: String) -> String? {
        ref.labels.first { $0.name == name }?.value
    }
}

/// Keeps each time bucket's minimum and maximum sample, in time order; a NaN (stale
/// marker) closes the bucket and is kept as the line break it stands for.
struct MinMaxReducer {
    let bucket: Int64
    private var out: [(second: Int64, value: Double)] = []
    private var current = Int64.min
    private var lo: (second: Int64, value: Double)?
    private var hi: (second: Int64, value: Double)?

    init(bucket: Int64) { self.bucket = bucket }

    mutating func add(_ second: Int64, _ value: Double) {
        if bucket == 1 {
            out.append((second, value))
            return
        }
        guard value.isFinite else {
            flush()
            out.append((second, value))
            return
        }
        let b = second.floorDiv(bucket)
        if b != current { flush(); current = b }
        if lo == nil || value < lo!.value { lo = (second, value) }
        if hi == nil || value > hi!.value { hi = (second, value) }
    }

    private mutating func flush() {
        if let a = lo, let b = hi {
            if a.second == b.second { out.append(a) } else if a.second < b.second { out += [a, b] } else { out += [b, a] }
        }
        lo = nil
        hi = nil
        current = .min
    }

    mutating func finish() -> [(second: Int64, value: Double)] {
        flush()
        return out
    }
}

/// Orders a group's series by how far they left their own recent normal during an event,
/// for events without a recorded top series (a labeled interval no alert caught), and to
/// fill an alert's chart beside its recorded top series.
enum Deviation {
    /// max |v − median(before)| during [eventFrom, eventTo], over a robust spread of the
    /// samples before `eventFrom` (MAD; or the median's size when the series was flat).
    static func score(_ points: [(second: Int64, value: Double)], eventFrom: Int64, eventTo: Int64) -> Double {
        let before = points.filter { $0.second < eventFrom && $0.value.isFinite }.map(\.value)
        let during = points.filter { $0.second >= eventFrom && $0.second <= eventTo && $0.value.isFinite }.map(\.value)
        guard !during.isEmpty else { return 0 }
        guard before.count >= 3 else {
            // No history: the series' own range during the event, relative to its size.
            let lo = during.min()!, hi = during.max()!
            return (hi - lo) / max(abs(hi), abs(lo), 1e-12)
        }
        let m = median(before)
        let mad = median(before.map { abs($0 - m) })
        let spread = max(mad * 1.4826, abs(m) * 1e-3, 1e-12)
        return during.map { abs($0 - m) }.max()! / spread
    }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
