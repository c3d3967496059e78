/// Settings and scratch space shared by every column of one head. Used under the store
/// lock only (one writer), like the head itself.
final class PageContext {
    let span: Int
    /// Encoding scratch for `PageCodec.encode`.
    let scratch: UnsafeMutablePointer<UInt8>

    init(span: Int64) {
        self.span = Int(span)
        scratch = .allocate(capacity: 2 * PageCodec.maxEncodedBytes)
    }

    deinit {
        scratch.deallocate()
    }

    /// Rows of page `index`: the last page of a segment is short when the span is not a
    /// multiple of the page size.
    @inline(__always)
    func rows(ofPage index: Int) -> Int {
        Swift.min(DensePage.rows, span - index * DensePage.rows)
    }
}

/// One series' cells in one head segment, in pages of `DensePage.rows` seconds.
///
/// Only pages holding samples exist. The page the series is writing is dense; when the
/// series moves on to a later page, the pages it left are encoded (`PageCodec`) and the
/// dense buffer is reused for the new page, so steady in-order writes allocate nothing
/// beyond the frozen store's occasional growth. A late write into a frozen page decodes
/// it back (thaws it); it is frozen again when the series next moves on, or by
/// `freezeIdle` for series that stopped.
final class SeriesColumn {
    /// Present cells.
    private(set) var count = 0
    /// Index of `current`, the page in-order writes go to; -1 when there is none.
    private var currentIndex = -1
    private var current: DensePage?
    /// Older pages reopened by late writes (rare; usually empty).
    private var thawed: [(index: Int, page: DensePage)] = []
    private var frozen = FrozenPages()

    deinit {
        current?.deallocate()
        for t in thawed { t.page.deallocate() }
        frozen.release()
    }

    /// Stores one cell. Returns true when the row already held a sample (a collision):
    /// the later timestamp wins; on a tie the last write wins, which keeps retried
    /// requests idempotent.
    @inline(__always)
    func put(row: Int, tag: UInt16, bits: UInt64, context: PageContext) -> Bool {
        let index = row >> DensePage.shift
        let page: DensePage
        if index == currentIndex, let c = current {
            page = c
        } else {
            page = pageForWrite(index, context: context)
        }
        let slot = row & (DensePage.rows - 1)
        let old = page.tags[slot]
        if old == 0 {
            page.tags[slot] = tag
            page.values[slot] = bits
            count += 1
            return false
        }
        if tag >= old {
            page.tags[slot] = tag
            page.values[slot] = bits
        }
        return true
    }

    private func pageForWrite(_ index: Int, context: PageContext) -> DensePage {
        if index > currentIndex {
            // The series moved on: the pages behind it will only see late writes.
            for t in thawed {
                freeze(t.page, index: t.index, context: context)
                t.page.deallocate()
            }
            thawed.removeAll(keepingCapacity: false)
            let page: DensePage
            if let c = current {
                freeze(c, index: currentIndex, context: context)
                c.clear()
                page = c
            } else {
                page = DensePage.allocate()
            }
            reopen(index, into: page, context: context)
            current = page
            currentIndex = index
            return page
        }
        if let t = thawed.first(where: { $0.index == index }) { return t.page }
        let page = DensePage.allocate()
        reopen(index, into: page, context: context)
        thawed.append((index, page))
        return page
    }

    /// Moves page `index` back from the frozen store into `page` (cleared), if frozen.
    private func reopen(_ index: Int, into page: DensePage, context: PageContext) {
        guard let at = frozen.find(index: index) else { return }
        PageCodec.decode(frozen.payload(at), rows: context.rows(ofPage: index), into: page)
        frozen.remove(at)
    }

    private func freeze(_ page: DensePage, index: Int, context: PageContext) {
        let rows = context.rows(ofPage: index)
        // A page is created by a write, so it holds a sample; check anyway rather than
        // store an empty record.
        guard (0..<rows).contains(where: { page.tags[$0] != 0 }) else { return }
        let length = PageCodec.encode(page, rows: rows, into: context.scratch)
        frozen.append(index: index, context.scratch, count: length)
    }

    /// Freezes the dense pages that end at or before `row`: a series that stopped writing
    /// would otherwise keep its last page dense until the segment is sealed.
    func freezeIdle(endingAtOrBefore row: Int, context: PageContext) {
        if !thawed.isEmpty {
            var kept: [(index: Int, page: DensePage)] = []
            for t in thawed {
                if (t.index + 1) * DensePage.rows <= row {
                    freeze(t.page, index: t.index, context: context)
                    t.page.deallocate()
                } else {
                    kept.append(t)
                }
            }
            thawed = kept
        }
        if let c = current, (currentIndex + 1) * DensePage.rows <= row {
            freeze(c, index: currentIndex, context: context)
            c.deallocate()
            current = nil
            currentIndex = -1
        }
    }

    /// Calls `body(row, tag, valueBits)` for every present cell with a row in `rows`, in
    /// row order, whether its page is dense or frozen.
    func forEachCell(rows: Range<Int>, context: PageContext, _ body: (Int, UInt16, UInt64) -> Void) {
        guard !rows.isEmpty else { return }
        let firstPage = rows.lowerBound >> DensePage.shift
        let lastPage = (rows.upperBound - 1) >> DensePage.shift
        var dense: [(index: Int, page: DensePage)] = thawed
        if let c = current { dense.append((currentIndex, c)) }
        var encoded: [(index: Int, at: FrozenPages.Location)] = []
        frozen.forEachRecord { index, at in
            if index >= firstPage && index <= lastPage { encoded.append((index, at)) }
        }
        dense.sort { $0.index < $1.index }
        encoded.sort { $0.index < $1.index }
        // Merge the two page lists in page order (a page is in exactly one of them).
        var d = 0
        var e = 0
        while true {
            let nextDense = d < dense.count ? dense[d].index : Int.max
            let nextEncoded = e < encoded.count ? encoded[e].index : Int.max
            if nextDense == Int.max && nextEncoded == Int.max { return }
            if nextDense < nextEncoded {
                let (index, page) = dense[d]
                d += 1
                guard index >= firstPage && index <= lastPage else { continue }
                let base = index * DensePage.rows
                let lo = Swift.max(rows.lowerBound, base) - base
                let hi = Swift.min(rows.upperBound, base + context.rows(ofPage: index)) - base
                for slot in lo..<hi where page.tags[slot] != 0 {
                    body(base + slot, page.tags[slot], page.values[slot])
                }
            } else {
                let (index, at) = encoded[e]
                e += 1
                let base = index * DensePage.rows
                PageCodec.forEachCell(frozen.payload(at), rows: context.rows(ofPage: index)) { slot, tag, value in
                    let row = base + slot
                    if rows.contains(row) { body(row, tag, value) }
                }
            }
        }
    }

    /// Heap bytes held (object, dense pages, frozen store), for the head gauge.
    var bytes: Int {
        let densePages = thawed.count + (current == nil ? 0 : 1)
        return 96 + densePages * DensePage.byteCount + frozen.capacity
    }
}
