import SeismoStore

/// Several data directories read as one store, for training across shards: the rows are the
/// union of their seconds, the columns the union of their series (matched by label set),
/// so the table has the same layout as one directory holding everything.
///
/// A series held by more than one directory (it moved during resharding, or the same data
/// was copied twice) is merged cell by cell, in the order the directories were given:
/// a present cell beats a missing one, a real value beats a stale marker (both export as
/// null otherwise, and "non-null wins"), and when two directories hold different values
/// for the same second the first directory's value is kept and the cell is counted as a
/// conflict. Identical values are not conflicts.
public struct MergedSource: ExportSource {
    public let sources: [ExportSource]
    public init(_ sources: [ExportSource]) {
        precondition(!sources.isEmpty)
        self.sources = sources
    }

    public func openSession() throws -> StoreWindowSession {
        MergedSession(try sources.map { try $0.openSession() })
    }

    /// Every directory's stored intervals; one posted to several shards counts once
    /// (otherwise `--thesis` would list it twice in table_anomalies.txt).
    public func storedIntervals() throws -> [LabelInterval] {
        var out: [LabelInterval] = []
        for source in sources {
            for interval in try source.storedIntervals() where !out.contains(where: { sameInterval($0, interval) }) {
                out.append(interval)
            }
        }
        return out
    }

    private func sameInterval(_ a: LabelInterval, _ b: LabelInterval) -> Bool {
        var a = a
        a.origin = b.origin  // the origin names the file it was read from, which differs
        return a == b
    }
}

/// The merged view the export engine reads. Series get fresh ids (their position in
/// `catalogSeries()`); each one remembers which sessions hold it and under which id.
public final class MergedSession: StoreWindowSession {
    private let sessions: [StoreWindowSession]
    public var damage: [String] { sessions.flatMap(\.damage) }
    private let series: [ExportSeriesRef]
    /// Per merged id: (session index, that session's ref), in directory order.
    private let holders: [[(session: Int, ref: ExportSeriesRef)]]
    /// Cells of a series' second and later holders, merged into the output afterwards.
    /// Allocated on first need and kept, so a window costs no allocation.
    private var scratch: WindowBuffers?
    /// Cells where two directories held different values (the first one's was kept), per
    /// merged id, accumulated over every fill since the session opened.
    public private(set) var conflicts: [Int]

    public init(_ sessions: [StoreWindowSession]) {
        self.sessions = sessions
        var index: [String: Int] = [:]
        var series: [ExportSeriesRef] = []
        var holders: [[(session: Int, ref: ExportSeriesRef)]] = []
        for (i, session) in sessions.enumerated() {
            for ref in session.catalogSeries() {
                let key = ref.selector
                if let id = index[key] {
                    holders[id].append((i, ref))
                } else {
                    index[key] = series.count
                    series.append(ExportSeriesRef(id: UInt32(series.count), labels: ref.labels))
                    holders.append([(i, ref)])
                }
            }
        }
        self.series = series
        self.holders = holders
        conflicts = Array(repeating: 0, count: series.count)
    }

    public func catalogSeries() -> [ExportSeriesRef] { series }

    public func dataBounds() throws -> (first: Int64, last: Int64)? {
        var out: (first: Int64, last: Int64)?
        for session in sessions {
            guard let b = try session.dataBounds() else { continue }
            out = out.map { (min($0.first, b.first), max($0.last, b.last)) } ?? b
        }
        return out
    }

    public func fill(_ selected: [ExportSeriesRef], fromSecond: Int64, into buffers: WindowBuffers) throws {
        // Per session: the output columns it fills directly (it is the series' first
        // holder) and those it fills into scratch (a later holder).
        var direct = Array(repeating: (columns: [Int](), refs: [ExportSeriesRef]()), count: sessions.count)
        var later = Array(repeating: (columns: [Int](), refs: [ExportSeriesRef]()), count: sessions.count)
        for (k, ref) in selected.enumerated() {
            for (n, holder) in holders[Int(ref.id)].enumerated() {
                if n == 0 {
                    direct[holder.session].columns.append(k)
                    direct[holder.session].refs.append(holder.ref)
                } else {
                    later[holder.session].columns.append(k)
                    later[holder.session].refs.append(holder.ref)
                }
            }
        }
        // First holders first, so every later holder merges against its final first value.
        for (i, session) in sessions.enumerated() where !direct[i].refs.isEmpty {
            try session.fill(direct[i].refs, fromSecond: fromSecond,
                             into: WindowBuffers(viewing: buffers, columns: direct[i].columns))
        }
        for (i, session) in sessions.enumerated() where !later[i].refs.isEmpty {
            let scratch = scratchBuffers(columns: later[i].refs.count, rows: buffers.capacityRows)
            scratch.reset(rows: buffers.rows)
            let view = WindowBuffers(viewing: scratch, columns: Array(0..<later[i].refs.count))
            try session.fill(later[i].refs, fromSecond: fromSecond, into: view)
            for (j, k) in later[i].columns.enumerated() {
                conflicts[Int(selected[k].id)] += merge(from: scratch, column: j, into: buffers, column: k)
            }
        }
    }

    private func scratchBuffers(columns: Int, rows: Int) -> WindowBuffers {
        if let s = scratch, s.columns >= columns, s.capacityRows >= rows { return s }
        let s = WindowBuffers(columns: max(columns, scratch?.columns ?? 0), capacityRows: max(rows, scratch?.capacityRows ?? 0))
        scratch = s
        return s
    }

    /// Merges a later holder's cells into the output column; returns the conflicts.
    private func merge(from source: WindowBuffers, column j: Int, into out: WindowBuffers, column k: Int) -> Int {
        let stale = RowGroupAssembler.staleMarkerBits
        let sv = source.values(j), sp = source.presence(j)
        let ov = out.values(k), op = out.presence(k)
        var conflicts = 0
        for r in 0..<out.rows where sp[r] != 0 {
            if op[r] == 0 {
                ov[r] = sv[r]
                op[r] = sp[r]
            } else if ov[r] != sv[r] {
                if ov[r] == stale {
                    ov[r] = sv[r]
                } else if sv[r] != stale {
                    conflicts += 1
                }
            }
        }
        return conflicts
    }
}
