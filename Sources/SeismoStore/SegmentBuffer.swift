import CSeismoPrefetch
/// The cells of one segment-to-be: a paged column (`SeriesColumn`) per series with
/// samples in it. Readers go through `forEachCell` / `copyCells`, never through pages.
final class SegmentBuffer {
    let start: Int64
    let span: Int64
    private let context: PageContext
    /// Where `spillFrozen` puts this segment's frozen pages; nil keeps everything in memory.
    private let spillPath: String?
    /// Opened at the first spill; deleted with this buffer (after the seal).
    private var spill: SpillFile? {
        didSet { spillUnretained = spill.map { Unmanaged.passUnretained($0) } }
    }
    /// `spill` for the write path, which passes it on at every page a series moves to and
    /// needs it only when that page was spilled before: the strong reference cost a retain
    /// and release per page, and perf found the release at ~3.6 % of the server's CPU at
    /// saturation (the object's count shares a cache line another thread writes).
    private var spillUnretained: Unmanaged<SpillFile>?
    /// Indexed by series id; nil where the series has no sample in this segment. The
    /// references are owned by this buffer (retained when stored, released in `deinit`):
    /// a strong array element costs an atomic retain and release per access, which perf
    /// measured at ~13 % of the server's CPU at saturation when every write went through
    /// one. In-order writes do not touch the columns at all, only `cursors`.
    private var columns: [Unmanaged<SeriesColumn>?] = []
    /// Indexed by series id, as `columns`: where each series writes (`ColumnCursor`).
    private var cursors: [ColumnCursor] = []
    private(set) var columnCount = 0
    private(set) var sampleCount = 0
    private(set) var firstSecond = Int64.max
    private(set) var lastSecond = Int64.min

    init(start: Int64, span: Int64, context: PageContext, spillPath: String? = nil) {
        self.start = start
        self.span = span
        self.context = context
        self.spillPath = spillPath
    }

    deinit {
        for case let c? in columns { c.release() }
        for c in cursors { c.page?.deallocate() }
    }

    convenience init(start: Int64, span: Int64) {
        self.init(start: start, span: span, context: PageContext())
    }

    /// Where series `id`'s pages start, as an offset added to its rows: series cross page
    /// boundaries in different seconds. With one phase for all, every series of a scrape
    /// filled its page in the same second, and the request carrying that second froze and
    /// encoded a page per series under the store lock (the light-load p99: every 16th
    /// request took 3 ms more).
    @inline(__always)
    static func phase(_ id: Int) -> Int { id & (DensePage.rows - 1) }

    /// Starts loading the cache lines `put` will write for `series` at `second` (its dense
    /// page's tags and the value's row), so the miss overlaps the work on the series
    /// before it: pages are scattered over the heap, and that one miss per series was
    /// about 12 % of the server's CPU at saturation. Only a hint: a wrong guess (no page
    /// yet, another segment) costs a wasted load, never a fault.
    ///
    /// The cursors are borrowed mutably, as `put` does (callers hold the store lock): the
    /// read-only `withUnsafeBufferPointer` on this stored array retained and released its
    /// buffer for every series of every request, which perf put at ~4 % of the server's CPU
    /// at saturation (an atomic pair on a line both event loops write), more than the
    /// prefetch saves.
    @inline(__always)
    func prefetch(series: UInt32, second: Int64) {
        let id = Int(series)
        cursors.withUnsafeMutableBufferPointer { all in
            guard id < all.count, let page = all[id].page else { return }
            let slot = (Int(truncatingIfNeeded: second &- start) &+ Self.phase(id)) & (DensePage.rows - 1)
            seismo_prefetch_write(page.tags)
            seismo_prefetch_write(page.values + slot)
        }
    }

    /// Stores one cell. Returns true when the row already held a sample (a collision):
    /// the later timestamp wins; on a tie the last write wins, which keeps retried
    /// requests idempotent.
    @inline(__always)
    func put(series: UInt32, second: Int64, tag: UInt16, valueBits: UInt64) -> Bool {
        let id = Int(series)
        if id >= columns.count {
            let more = Swift.max(id + 1 - columns.count, columns.count / 2)
            columns.append(contentsOf: repeatElement(nil, count: more))
            cursors.append(contentsOf: repeatElement(ColumnCursor(), count: more))
        }
        let row = Int(second - start) + Self.phase(id)
        let index = row >> DensePage.shift
        let slot = row & (DensePage.rows - 1)
        let collided = cursors.withUnsafeMutableBufferPointer { all -> Bool in
            let cursor = all.baseAddress! + id
            let page: DensePage
            if Int(cursor.pointee.index) == index, let p = cursor.pointee.page {
                page = p
            } else {
                page = pageForWrite(series: id, index: index, cursor: cursor)
            }
            let old = page.tags[slot]
            if old == 0 {
                page.tags[slot] = tag
                page.values[slot] = valueBits
                cursor.pointee.count += 1
                return false
            }
            if tag >= old {
                page.tags[slot] = tag
                page.values[slot] = valueBits
            }
            return true
        }
        if collided { return true }
        sampleCount += 1
        if second < firstSecond { firstSecond = second }
        if second > lastSecond { lastSecond = second }
        return false
    }

    /// The slow path of `put`: the series' first write here, or a write to another page.
    /// The column is used through its unmanaged reference (this buffer owns it), without
    /// the retain and release a strong local costs.
    private func pageForWrite(series id: Int, index: Int, cursor: UnsafeMutablePointer<ColumnCursor>) -> DensePage {
        let column: Unmanaged<SeriesColumn>
        if let c = columns[id] {
            column = c
        } else {
            column = Unmanaged.passRetained(SeriesColumn())
            columns[id] = column
            columnCount += 1
        }
        let context = self.context
        let spill = spillUnretained
        return column._withUnsafeGuaranteedRef { $0.pageForWrite(index, cursor: &cursor.pointee, context: context, spill: spill) }
    }

    /// Series ids with at least one sample, ascending.
    var seriesIds: [UInt32] {
        var ids: [UInt32] = []
        ids.reserveCapacity(columnCount)
        for (i, c) in columns.enumerated() where c != nil { ids.append(UInt32(i)) }
        return ids
    }

    private func column(_ id: UInt32) -> SeriesColumn? {
        Int(id) < columns.count ? columns[Int(id)]?.takeUnretainedValue() : nil
    }

    /// The columns present with their ids, in id order (strong references: not for the
    /// hot path).
    private var presentColumns: [(id: Int, column: SeriesColumn)] {
        columns.indices.compactMap { i in columns[i].map { (i, $0.takeUnretainedValue()) } }
    }

    func hasSeries(_ id: UInt32) -> Bool { column(id) != nil }

    /// Present cells of one series.
    func sampleCount(of id: UInt32) -> Int { column(id) == nil ? 0 : Int(cursors[Int(id)].count) }

    /// Calls `body(second, tag, valueBits)` for every present cell of series `id` with a
    /// second in `seconds` (clamped to the segment), in time order.
    func forEachCell(of id: UInt32, seconds: Range<Int64>, _ body: (Int64, UInt16, UInt64) -> Void) {
        guard let c = column(id) else { return }
        let lo = Swift.max(seconds.lowerBound, start)
        let hi = Swift.min(seconds.upperBound, start + span)
        guard lo < hi else { return }
        let origin = start - Int64(Self.phase(Int(id)))  // the second of shifted row 0
        c.forEachCell(rows: Int(lo - origin)..<Int(hi - origin), cursor: cursors[Int(id)], context: context, spill: spill) { row, tag, bits in
            body(origin + Int64(row), tag, bits)
        }
    }

    /// Writes series `id`'s present cells for `seconds` into `values`/`tags` at
    /// (second − seconds.lowerBound); absent seconds are left as they are.
    /// `mapping`: the seal's map of this buffer's spill file (`mapSpill`), if any.
    func copyCells(of id: UInt32, seconds: Range<Int64>, mapping: SpillMapping? = nil,
                   values: UnsafeMutablePointer<UInt64>, tags: UnsafeMutablePointer<UInt16>) {
        guard let c = column(id) else { return }
        let lo = Swift.max(seconds.lowerBound, start)
        let hi = Swift.min(seconds.upperBound, start + span)
        guard lo < hi else { return }
        let origin = start - Int64(Self.phase(Int(id)))  // the second of shifted row 0
        let skip = Int(lo - seconds.lowerBound)  // destination index of second `lo`
        c.copyCells(rows: Int(lo - origin)..<Int(hi - origin), cursor: cursors[Int(id)], spill: spill, mapping: mapping,
                    values: values + skip, tags: tags + skip)
    }

    /// Maps the spill file for a seal that reads every column (`SpillMapping`). Only for a
    /// buffer detached from the head: nothing may spill into it while the map is in use.
    func mapSpill() -> SpillMapping? {
        spill?.map()
    }

    /// Freezes dense pages that end at or before `second` (see `SeriesColumn.freezeIdle`).
    func freezeIdle(endingAtOrBefore second: Int64) {
        let row = Int(Swift.min(second, start + span) - start)
        guard row > 0 else { return }
        for (id, c) in presentColumns {
            c.freezeIdle(endingAtOrBefore: row + Self.phase(id), cursor: &cursors[id], context: context)
        }
    }

    /// Series whose in-order page is dense (writing, or stopped and not swept yet).
    var denseSeries: Int { cursors.reduce(0) { $0 + ($1.page == nil ? 0 : 1) } }

    /// Moves every column's frozen pages to the spill file (opened on first use). Without
    /// a spill path, or when the file cannot be created, they stay in memory.
    func spillFrozen() {
        guard let spillPath else { return }
        if spill == nil { spill = SpillFile(path: spillPath) }
        guard let spill else { return }
        // Blobs are batched into large writes: one pwrite per column would hold the store
        // lock for a syscall per series. A failed write leaves its columns in memory.
        var batch: [UInt8] = []
        batch.reserveCapacity(Self.spillBatchBytes)
        var pending: [(column: SeriesColumn, position: Int, length: Int)] = []
        func flush() {
            guard !batch.isEmpty else { return }
            if let at = batch.withUnsafeBytes({ spill.append($0.baseAddress!, count: $0.count) }) {
                for p in pending { p.column.spilled(at: at + UInt64(p.position), length: p.length) }
            }
            batch.removeAll(keepingCapacity: true)
            pending.removeAll(keepingCapacity: true)
        }
        for (_, c) in presentColumns {
            let position = batch.count
            let length = c.spillBlob(into: &batch)
            if length > 0 { pending.append((c, position, length)) }
            if batch.count >= Self.spillBatchBytes { flush() }
        }
        flush()
    }

    static let spillBatchBytes = 1 << 20

    /// Bytes in the spill file (disk, not memory).
    var spilledBytes: UInt64 { spill?.end ?? 0 }

    /// Heap bytes held by the cells (an estimate of what malloc holds for them).
    var bytes: Int {
        var total = columns.capacity * (MemoryLayout<Unmanaged<SeriesColumn>?>.stride + MemoryLayout<ColumnCursor>.stride)
        for (id, c) in presentColumns { total += c.bytes(cursor: cursors[id]) }
        return total
    }
}
