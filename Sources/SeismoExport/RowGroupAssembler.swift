import SeismoStore

/// One assembled block of output rows (a Parquet row group, a run of CSV lines).
/// Column k's cells are the first `rows` entries of `buffers.values(k)`/`presence(k)`.
public struct RowGroup {
    public let firstSecond: Int64
    public let rows: Int
    public let step: Int64
    public let buffers: WindowBuffers
    public let anomaly: [Int32]?
    public let state: [String?]?

    public func second(ofRow r: Int) -> Int64 { firstSecond + Int64(r) * step }

    public func values(_ k: Int) -> UnsafeBufferPointer<UInt64> {
        UnsafeBufferPointer(rebasing: buffers.values(k)[0..<rows])
    }

    public func presence(_ k: Int) -> UnsafeBufferPointer<UInt16> {
        UnsafeBufferPointer(rebasing: buffers.presence(k)[0..<rows])
    }
}

/// Turns windows of raw cells into output rows: stale markers → null (counted per
/// series), `--step` (last value per step), `--fill previous` (bounded carry), labels.
/// Reuses one set of window buffers, so memory does not grow with the range.
final class RowGroupAssembler {
    /// Prometheus' stale marker: a NaN with this exact payload.
    static let staleMarkerBits: UInt64 = 0x7ff0_0000_0000_0002

    let plan: TablePlan
    private let session: StoreWindowSession
    /// Two sets, so the next window can be read while the previous one is encoded.
    private let bufferSets: [WindowBuffers]
    private var turn = 0
    private let series: [ExportSeriesRef]
    private var windows: ArraySlice<(start: Int64, end: Int64)>
    /// Per column: stale markers turned into nulls, present output cells.
    private(set) var staleNulls: [Int]
    private(set) var nonNull: [Int]
    /// Per column: last real value and the second of its row (fill previous).
    private var lastBits: [UInt64]
    private var lastSecond: [Int64]

    init(plan: TablePlan, session: StoreWindowSession) {
        self.plan = plan
        self.session = session
        series = plan.columns.map(\.series)
        // A short range needs no hour-sized buffers.
        let capacity = Int(min(plan.windowSeconds, max(1, plan.endSecond - plan.fromSecond)))
        bufferSets = (0..<2).map { _ in WindowBuffers(columns: plan.columns.count, capacityRows: capacity) }
        windows = plan.windows()[...]
        staleNulls = Array(repeating: 0, count: plan.columns.count)
        nonNull = Array(repeating: 0, count: plan.columns.count)
        lastBits = Array(repeating: 0, count: plan.columns.count)
        lastSecond = Array(repeating: Int64.min, count: plan.columns.count)
    }

    /// The next window's rows. The returned group's buffers stay valid until the call
    /// after next (the two buffer sets alternate).
    func next() throws -> RowGroup? {
        guard let w = windows.popFirst() else { return nil }
        let buffers = bufferSets[turn]
        turn ^= 1
        let seconds = Int(w.end - w.start)
        buffers.reset(rows: seconds)
        do {
            try session.fill(series, fromSecond: w.start, into: buffers)
        } catch let e as ExportError {
            throw e
        } catch {
            throw ExportError(.io, "reading the store: \(error)")
        }
        let step = Int(plan.step)
        let rows = (seconds + step - 1) / step
        let fill = plan.options.fill == .previous
        let limit = plan.options.fillLimitSeconds
        // Work on locals: element updates of class-owned arrays in the cell loops would each
        // pay a dynamic exclusivity check (measured: a third of the export's CPU).
        var staleNulls: [Int] = []
        var nonNull: [Int] = []
        var lastBits: [UInt64] = []
        var lastSecond: [Int64] = []
        swap(&staleNulls, &self.staleNulls)
        swap(&nonNull, &self.nonNull)
        swap(&lastBits, &self.lastBits)
        swap(&lastSecond, &self.lastSecond)
        defer {
            swap(&staleNulls, &self.staleNulls)
            swap(&nonNull, &self.nonNull)
            swap(&lastBits, &self.lastBits)
            swap(&lastSecond, &self.lastSecond)
        }
        let firstSecond = w.start
        for k in 0..<plan.columns.count {
            let values = buffers.values(k)
            let presence = buffers.presence(k)
            var stale = 0
            for r in 0..<seconds where presence[r] != 0 && values[r] == Self.staleMarkerBits {
                presence[r] = 0
                stale += 1
            }
            staleNulls[k] += stale
            if step > 1 {
                // Last value per step, compacted in place (row b is read before it is written:
                // b <= b*step).
                for b in 0..<rows {
                    var found = -1
                    var r = min(seconds, (b + 1) * step) - 1
                    while r >= b * step {
                        if presence[r] != 0 { found = r; break }
                        r -= 1
                    }
                    if found >= 0 {
                        values[b] = values[found]
                        presence[b] = 1
                    } else {
                        presence[b] = 0
                    }
                }
            }
            var present = 0
            if fill {
                var lb = lastBits[k]
                var ls = lastSecond[k]
                for b in 0..<rows {
                    let second = firstSecond + Int64(b * step)
                    if presence[b] != 0 {
                        lb = values[b]
                        ls = second
                        present += 1
                    } else if ls != Int64.min, second - ls <= limit {
                        values[b] = lb
                        presence[b] = 1
                        present += 1
                    }
                }
                lastBits[k] = lb
                lastSecond[k] = ls
            } else {
                for b in 0..<rows where presence[b] != 0 { present += 1 }
            }
            nonNull[k] += present
        }
        var anomaly: [Int32]?
        var state: [String?]?
        if plan.withLabels {
            (anomaly, state) = plan.join.labels(fromSecond: w.start, rows: rows, step: plan.step)
        }
        return RowGroup(firstSecond: w.start, rows: rows, step: plan.step, buffers: buffers, anomaly: anomaly, state: state)
    }
}
