/// Scratch space shared by every column of one head. Used under the store lock only (one
/// writer), like the head itself.
final class PageContext {
    /// Encoding scratch for `PageCodec.encode`.
    let scratch: UnsafeMutablePointer<UInt8>

    init() {
        scratch = .allocate(capacity: PageCodec.maxEncodedBytes)
    }

    deinit {
        scratch.deallocate()
    }
}

/// Where one series writes in one head segment: the dense page of the newest page index
/// and the present-cell count. `SegmentBuffer` keeps these in a plain array indexed by
/// series id, so an in-order write touches this struct and the page, and neither the
/// column object (a cache miss) nor its reference count (atomic retain and release, ~5 %
/// of the server's CPU at saturation when the write went through the object).
struct ColumnCursor {
    /// Index of `page`, the page in-order writes go to; -1 when there is none.
    var index: Int32 = -1
    /// Present cells of the column.
    var count: Int32 = 0
    var page: DensePage?
}

/// One series' cells in one head segment, in pages of `DensePage.rows` seconds.
///
/// Rows here are the segment's rows shifted by the series' phase (`SegmentBuffer.phase`),
/// so series cross page boundaries in different seconds; every page has `DensePage.rows`
/// slots, and slots outside the segment simply stay absent.
///
/// Only pages holding samples exist. The page the series is writing is dense (held by its
/// `ColumnCursor`); when the series moves on to a later page, the pages it left are
/// encoded (`PageCodec`) and the dense buffer is reused for the new page, so steady
/// in-order writes allocate nothing beyond the frozen store's occasional growth. A late
/// write into a frozen page decodes it back (thaws it); it is frozen again when the
/// series next moves on, or by `freezeIdle` for series that stopped. `spill` moves the
/// frozen pages to the segment's spill file, where they stay readable (and thawable)
/// with pread.
///
/// A page's newest version wins: dense, else frozen in memory, else the newest spilled
/// blob holding it (a page thawed from disk and frozen again is spilled again later).
final class SeriesColumn {
    /// Older pages reopened by late writes (rare; usually empty).
    private var thawed: [(index: Int, page: DensePage)] = []
    private var frozen = FrozenPages()
    /// Highest page index ever frozen (-1: none): a page above it is neither in memory nor
    /// spilled, which spares the lookup when a series moves on, the usual case.
    private var highestStored: Int32 = -1
    /// Newest spilled blob (length 0: none). Blob: 8 bytes offset and 4 bytes length of
    /// the column's previous blob (little-endian), then `FrozenPages` records.
    /// (Declared after the 4-byte `highestStored` so the two share 8 bytes: the object is
    /// 56 bytes, one 64-byte malloc chunk per active series.)
    private var spillLength: UInt32 = 0
    private var spillOffset: UInt64 = 0
    static let blobHeaderBytes = 12

    deinit {
        for t in thawed { t.page.deallocate() }
        frozen.release()
    }

    /// The dense page for a write to page `index` that the cursor does not hold: the
    /// series moved on to a later page (the cursor's page is frozen and reused for it), or
    /// a late write reopens an older page (thawed beside the cursor's).
    /// `spill`: the segment's spill file, unretained (the segment owns it and outlives
    /// this call).
    func pageForWrite(_ index: Int, cursor: inout ColumnCursor, context: PageContext, spill: Unmanaged<SpillFile>?) -> DensePage {
        if index > Int(cursor.index) {
            // The series moved on: the pages behind it will only see late writes.
            for t in thawed {
                freeze(t.page, index: t.index, context: context)
                t.page.deallocate()
            }
            thawed.removeAll(keepingCapacity: false)
            let page: DensePage
            if let c = cursor.page {
                freeze(c, index: Int(cursor.index), context: context)
                c.clear()
                page = c
            } else {
                page = DensePage.allocate()
            }
            reopen(index, into: page, context: context, spill: spill)
            cursor.page = page
            cursor.index = Int32(index)
            return page
        }
        if let t = thawed.first(where: { $0.index == index }) { return t.page }
        let page = DensePage.allocate()
        reopen(index, into: page, context: context, spill: spill)
        thawed.append((index, page))
        return page
    }

    /// Loads the newest stored version of page `index` into `page` (cleared), if any.
    private func reopen(_ index: Int, into page: DensePage, context: PageContext, spill unretained: Unmanaged<SpillFile>?) {
        guard index <= Int(highestStored) else { return }
        if let at = frozen.find(index: index) {
            PageCodec.decode(frozen.payload(at), rows: DensePage.rows, into: page)
            frozen.remove(at)
            return
        }
        guard let spill = unretained?.takeUnretainedValue() else { return }
        var done = false
        var blobs: [UnsafeMutableRawPointer] = []
        defer { for b in blobs { b.deallocate() } }
        forEachSpilledBlob(spill, buffers: &blobs) { blob in
            FrozenPages.forEachRecord(in: blob) { i, at in
                guard i == index, !done else { return }
                PageCodec.decode(UnsafeRawBufferPointer(rebasing: blob[at.payload]), rows: DensePage.rows, into: page)
                done = true
            }
            // Newest first: the first copy found is the page. Reading on would cost a
            // pread per older blob, and a series whose sender lags behind the others has
            // its page frozen and spilled by `freezeIdle` and reopened here on every sweep.
            return !done
        }
        // The spilled copy stays; the dense one now wins over it, and so will the copy
        // frozen from it later.
    }

    private func freeze(_ page: DensePage, index: Int, context: PageContext) {
        let rows = DensePage.rows
        // A page is created by a write, so it holds a sample; check anyway rather than
        // store an empty record.
        guard (0..<rows).contains(where: { page.tags[$0] != 0 }) else { return }
        let length = PageCodec.encode(page, rows: rows, into: context.scratch)
        frozen.append(index: index, context.scratch, count: length)
        highestStored = Swift.max(highestStored, Int32(index))
    }

    /// Freezes the dense pages that end at or before `row`: a series that stopped writing
    /// would otherwise keep its last page dense until the segment is sealed.
    func freezeIdle(endingAtOrBefore row: Int, cursor: inout ColumnCursor, context: PageContext) {
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
        if let c = cursor.page, (Int(cursor.index) + 1) * DensePage.rows <= row {
            freeze(c, index: Int(cursor.index), context: context)
            c.deallocate()
            cursor.page = nil
            cursor.index = -1
        }
    }

    /// Appends the frozen pages held in memory to `batch` as one blob (chained to the
    /// previous one) and returns its length, 0 when there is nothing to spill. They stay
    /// in memory until `spilled` confirms the batch was written.
    func spillBlob(into batch: inout [UInt8]) -> Int {
        let records = frozen.records
        guard records.count > 0 else { return 0 }
        withUnsafeBytes(of: spillOffset.littleEndian) { batch.append(contentsOf: $0) }
        withUnsafeBytes(of: spillLength.littleEndian) { batch.append(contentsOf: $0) }
        batch.append(contentsOf: records)
        return Self.blobHeaderBytes + records.count
    }

    /// The blob from `spillBlob` is on disk at `offset`: drop the pages from memory.
    func spilled(at offset: UInt64, length: Int) {
        spillOffset = offset
        spillLength = UInt32(length)
        frozen.release()
    }

    /// Calls `body` with the records of every spilled blob, newest first, until it returns
    /// false. Each blob is read into a buffer appended to `buffers`, which the caller
    /// deallocates: records seen by `body` stay readable until then.
    /// With `mapping` (the seal's map of the whole file), blobs inside it are read where
    /// they lie, without a pread or a buffer.
    private func forEachSpilledBlob(_ file: SpillFile, mapping: SpillMapping? = nil, buffers: inout [UnsafeMutableRawPointer],
                                    _ body: (UnsafeRawBufferPointer) -> Bool) {
        var offset = spillOffset
        var length = Int(spillLength)
        while length > 0 {
            let blob: UnsafeRawPointer
            if let mapped = mapping?.slice(at: offset, count: length) {
                blob = mapped.baseAddress!
            } else {
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: length, alignment: 8)
                buffers.append(buffer)
                file.read(at: offset, count: length, into: buffer)
                blob = UnsafeRawPointer(buffer)
            }
            guard body(UnsafeRawBufferPointer(start: blob + Self.blobHeaderBytes, count: length - Self.blobHeaderBytes)) else { return }
            offset = UInt64(littleEndian: blob.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
            length = Int(UInt32(littleEndian: blob.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        }
    }

    /// Where the newest version of a page lies.
    private enum PageSource {
        case dense(DensePage)
        case encoded(UnsafeRawBufferPointer)
    }

    /// The newest version of every page overlapping `rows`, in page order, with `body`
    /// called while the encoded ones are readable (`forEachNewestPage` finds them).
    private func withNewestPages(rows: Range<Int>, cursor: ColumnCursor, spill: SpillFile?, mapping: SpillMapping? = nil,
                                 _ body: ([(index: Int, source: PageSource)]) -> Void) {
        let firstPage = rows.lowerBound >> DensePage.shift
        let lastPage = (rows.upperBound - 1) >> DensePage.shift
        // One slot per page in range: page order comes from the slots, not from sorting
        // (the spilled blobs come newest first, so the pages arrive out of order; sorting
        // them was ~7 % of the seal).
        var slots = [PageSource?](repeating: nil, count: lastPage - firstPage + 1)
        var found = 0
        forEachNewestPage(rows: rows, cursor: cursor, spill: spill, mapping: mapping, { index, source in
            slots[index - firstPage] = source
            found += 1
        }, finish: {
            var pages: [(index: Int, source: PageSource)] = []
            pages.reserveCapacity(found)
            for (k, slot) in slots.enumerated() {
                if let source = slot { pages.append((firstPage + k, source)) }
            }
            body(pages)
        })
    }

    /// Calls `body(index, source)` once for every page overlapping `rows`, with its newest
    /// version, in no set order: dense, then frozen in memory, then the spilled blobs
    /// newest first, a page taken where it is first met (a bit per page in range says
    /// which were). Encoded sources stay readable until `finish` has returned, not just
    /// until `body` returns: `copyCells` holds one page back to decode it with the next.
    /// The spilled blobs are read once each into buffers freed at the end, so a call
    /// allocates a handful of buffers, not one per page. Stops reading older blobs once
    /// every page in range was met. `finish` is called last.
    ///
    /// `withNewestPages` orders the pages for readers that need it; the seal's
    /// `copyCells` writes each page's rows where they belong, so it takes them as they
    /// come: the slot and page arrays `withNewestPages` allocates and fills per column
    /// were ~3 % of the seal's instructions.
    @inline(__always)
    private func forEachNewestPage(rows: Range<Int>, cursor: ColumnCursor, spill: SpillFile?, mapping: SpillMapping?,
                                   _ body: (Int, PageSource) -> Void, finish: () -> Void) {
        let firstPage = rows.lowerBound >> DensePage.shift
        let pageCount = ((rows.upperBound - 1) >> DensePage.shift) - firstPage + 1
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: (pageCount + 63) >> 6) { seen in
            seen.initialize(repeating: 0)
            var unseen = pageCount
            @inline(__always) func take(_ index: Int, _ source: PageSource) {
                let k = index &- firstPage
                guard k >= 0 && k < pageCount else { return }
                let bit = UInt64(1) << UInt64(k & 63)
                guard seen[k >> 6] & bit == 0 else { return }
                seen[k >> 6] |= bit
                unseen -= 1
                body(index, source)
            }
            for t in thawed { take(t.index, .dense(t.page)) }
            if let c = cursor.page { take(Int(cursor.index), .dense(c)) }
            let stored = frozen.records
            frozen.forEachRecord { index, at in take(index, .encoded(UnsafeRawBufferPointer(rebasing: stored[at.payload]))) }
            guard let spill, unseen > 0 else { return finish() }
            var blobs: [UnsafeMutableRawPointer] = []
            defer { for b in blobs { b.deallocate() } }
            forEachSpilledBlob(spill, mapping: mapping, buffers: &blobs) { records in
                FrozenPages.forEachRecord(in: records) { index, at in
                    take(index, .encoded(UnsafeRawBufferPointer(rebasing: records[at.payload])))
                }
                return unseen > 0
            }
            finish()
        }
    }

    /// Writes every present cell with a row in `rows` to `values`/`tags` at
    /// (row − rows.lowerBound); absent rows are left as they are. The seal's path: pages
    /// that lie wholly inside `rows` are decoded straight into the destination (the
    /// per-cell callbacks of `forEachCell` were most of the seal's page decoding), the
    /// two partial ones per series (pages start at the series' phase) through a scratch
    /// page. Allocates nothing shared: the seal runs outside the store lock.
    func copyCells(rows: Range<Int>, cursor: ColumnCursor, spill: SpillFile?, mapping: SpillMapping? = nil,
                   values: UnsafeMutablePointer<UInt64>, tags: UnsafeMutablePointer<UInt16>) {
        guard !rows.isEmpty else { return }
        var scratch: DensePage?
        defer { scratch?.deallocate() }
        // Whole encoded pages are decoded two at a time (`PageCodec.decodePair`): one
        // waits here for the next.
        var waiting: (bytes: UnsafeRawBufferPointer, into: DensePage)?
        forEachNewestPage(rows: rows, cursor: cursor, spill: spill, mapping: mapping, { index, source in
            let base = index * DensePage.rows
            if base >= rows.lowerBound && base + DensePage.rows <= rows.upperBound {
                let at = base - rows.lowerBound
                let view = DensePage(values: values + at, tags: tags + at)
                switch source {
                case .dense(let page):
                    for slot in 0..<DensePage.rows where page.tags[slot] != 0 {
                        view.tags[slot] = page.tags[slot]
                        view.values[slot] = page.values[slot]
                    }
                case .encoded(let bytes):
                    if let (other, into) = waiting {
                        PageCodec.decodePair(other, into: into, bytes, into: view)
                        waiting = nil
                    } else {
                        waiting = (bytes, view)
                    }
                }
                return
            }
            let page: DensePage
            switch source {
            case .dense(let p):
                page = p
            case .encoded(let bytes):
                if scratch == nil { scratch = DensePage.allocate() } else { scratch!.clear() }
                PageCodec.decode(bytes, rows: DensePage.rows, into: scratch!)
                page = scratch!
            }
            let lo = Swift.max(rows.lowerBound, base)
            let hi = Swift.min(rows.upperBound, base + DensePage.rows)
            for row in lo..<hi where page.tags[row - base] != 0 {
                tags[row - rows.lowerBound] = page.tags[row - base]
                values[row - rows.lowerBound] = page.values[row - base]
            }
        }, finish: {
            if let (bytes, into) = waiting { PageCodec.decode(bytes, rows: DensePage.rows, into: into) }
        })
    }

    /// Calls `body(row, tag, valueBits)` for every present cell with a row in `rows`, in
    /// row order, wherever its page is (dense, frozen, spilled). Encoded pages are decoded
    /// where they lie.
    func forEachCell(rows: Range<Int>, cursor: ColumnCursor, context: PageContext, spill: SpillFile?,
                     _ body: (Int, UInt16, UInt64) -> Void) {
        guard !rows.isEmpty else { return }
        withNewestPages(rows: rows, cursor: cursor, spill: spill) { pages in
            for (index, source) in pages {
                let base = index * DensePage.rows
                switch source {
                case .dense(let page):
                    let lo = Swift.max(rows.lowerBound, base) - base
                    let hi = Swift.min(rows.upperBound, base + DensePage.rows) - base
                    for slot in lo..<hi where page.tags[slot] != 0 {
                        body(base + slot, page.tags[slot], page.values[slot])
                    }
                case .encoded(let bytes):
                    PageCodec.forEachCell(bytes, rows: DensePage.rows) { slot, tag, value in
                        let row = base + slot
                        if rows.contains(row) { body(row, tag, value) }
                    }
                }
            }
        }
    }

    /// Heap bytes held (object, dense pages, frozen pages in memory), for the head gauge.
    func bytes(cursor: ColumnCursor) -> Int {
        let densePages = thawed.count + (cursor.page == nil ? 0 : 1)
        return 64 + densePages * DensePage.byteCount + frozen.capacity
    }
}
