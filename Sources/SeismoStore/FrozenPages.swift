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
    private var storedCapacity: Int32 = 0
    var count: Int {
        get { Int(storedCount) }
        set { storedCount = Int32(newValue) }
    }
    var capacity: Int {
        get { Int(storedCapacity) }
        set { storedCapacity = Int32(newValue) }
    }

    /// Where one record lies: the whole record and its encoded page.
    struct Location {
        var record: Range<Int>
        var payload: Range<Int>
    }

    mutating func append(index: Int, _ bytes: UnsafePointer<UInt8>, count length: Int) {
        let needed = count + 20 + length
        if needed > capacity {
            // Grow by a quarter, not double: the slack is memory every series pays.
            let grown = Swift.max(needed, capacity + capacity / 4)
            guard let moved = realloc(base, grown) else { fatalError("head: out of memory growing a frozen page store") }
            base = moved.assumingMemoryBound(to: UInt8.self)
            capacity = grown
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

    mutating func release() {
        free(base)
        base = nil
        count = 0
        capacity = 0
    }
}
