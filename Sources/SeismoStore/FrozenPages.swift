#if canImport(Glibc)
import Glibc
#endif

/// The frozen pages of one head column, back to back in one growable allocation.
///
/// Each record: uvarint page index, uvarint length, then the `PageCodec` bytes. Records
/// are in freezing order, not page order (a page reopened by a late write is frozen again
/// at the end); a page index appears at most once. One allocation per column instead of
/// one per page keeps malloc overhead and capacity slack to a few bytes per page.
struct FrozenPages {
    private var base: UnsafeMutablePointer<UInt8>?
    /// 32-bit: a column's frozen pages of one segment stay far below 2 GiB, and every
    /// active series pays for this struct.
    private var storedCount: Int32 = 0
    /// The allocation's size; while there is none (`base` nil), the size hint for the next
    /// one (`release`). One field for both keeps the struct at 16 bytes: a 4-byte field
    /// more would move every `SeriesColumn` from a 64-byte malloc chunk to an 80-byte one.
    private var storedCapacity: Int32 = 0
    var count: Int {
        get { Int(storedCount) }
        set { storedCount = Int32(newValue) }
    }
    /// Bytes allocated (0 when nothing is).
    var capacity: Int { base == nil ? 0 : Int(storedCapacity) }

    /// Room `append` makes for a record's two uvarint headers (10 bytes each at most).
    static let headerBound = 20

    /// Where one record lies: the whole record and its encoded page.
    struct Location {
        var record: Range<Int>
        var payload: Range<Int>
    }

    mutating func append(index: Int, _ bytes: UnsafePointer<UInt8>, count length: Int) {
        let needed = count + Self.headerBound + length
        if needed > capacity {
            let grown: Int
            if base == nil {
                // The first page since the last spill: sized for what the column froze
                // between the last two spills when that was several pages (`release`),
                // else for this one page.
                grown = Swift.max(needed, Int(storedCapacity))
            } else {
                // Grow by a quarter, not double: the slack is memory every series pays.
                grown = Swift.max(needed, capacity + capacity / 4)
            }
            guard let moved = realloc(base, grown) else { fatalError("head: out of memory growing a frozen page store") }
            base = moved.assumingMemoryBound(to: UInt8.self)
            storedCapacity = Int32(grown)
        }
        let out = base! + count
        var at = PageCodec.writeUVarint(UInt64(index), to: out)
        at += PageCodec.writeUVarint(UInt64(length), to: out + at)
        (out + at).update(from: bytes, count: length)
        count += at + length
    }

    func find(index: Int) -> Location? {
        var found: Location?
        forEachRecord { i, location in
            if i == index { found = location }
        }
        return found
    }

    /// All records as stored (for spilling them to disk).
    var records: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base, count: count)
    }

    /// The bytes of an encoded page found by `find` or `forEachRecord`.
    func payload(_ location: Location) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base! + location.payload.lowerBound, count: location.payload.count)
    }

    func forEachRecord(_ body: (Int, Location) -> Void) {
        FrozenPages.forEachRecord(in: records, body)
    }

    /// Walks records laid out as this store lays them out (also used on spilled blobs).
    static func forEachRecord(in all: UnsafeRawBufferPointer, _ body: (Int, Location) -> Void) {
        var at = 0
        while at < all.count {
            let start = at
            let index = Int(PageCodec.readUVarint(all, at: &at))
            let length = Int(PageCodec.readUVarint(all, at: &at))
            body(index, Location(record: start..<(at + length), payload: at..<(at + length)))
            at += length
        }
    }

    /// Drops a record (its page was reopened); later records move down.
    mutating func remove(_ location: Location) {
        guard let base else { return }
        let tail = count - location.record.upperBound
        memmove(base + location.record.lowerBound, base + location.record.upperBound, tail)  // overlapping
        count -= location.record.count
    }

    /// Frees the records. Remembers their size as the next allocation's when they were
    /// at least `hintRecords` pages' worth: a column that freezes many pages between two
    /// spills (a backfill, or the ingest benchmark, where data time runs hundreds of times
    /// faster than the clock) then allocates once per sweep instead of growing by realloc
    /// at nearly every page, which perf measured at ~3 % of the server's CPU at saturation.
    /// A series scraped every few seconds freezes about two pages per sweep and keeps
    /// allocating exactly (no slack in its memory per series).
    mutating func release() {
        let held = count
        let first = firstRecordLength
        free(base)
        base = nil
        count = 0
        // + headerBound: what `append` asks for beyond the record it appends.
        storedCapacity = first > 0 && held >= Self.hintRecords * first ? Int32(held + Self.headerBound) : 0
    }

    /// A column that froze at least this many pages' bytes between two spills gets the
    /// size hint. Well above what a burst of new series freezes per sweep (the cardinality
    /// benchmark: ~40 s of data per second, 2–3 pages; with 3 here its RSS per series came
    /// out at 800–870 B in 3 of 9 runs, against ~690) and below a saturated backfill (the
    /// ingest benchmark: ~30 pages per sweep).
    static let hintRecords = 8

    /// Bytes of the first record (0 when there is none): the unit `release` compares with.
    private var firstRecordLength: Int {
        guard count > 0 else { return 0 }
        var at = 0
        _ = PageCodec.readUVarint(records, at: &at)  // page index
        let length = Int(PageCodec.readUVarint(records, at: &at))
        return at + length
    }
}
