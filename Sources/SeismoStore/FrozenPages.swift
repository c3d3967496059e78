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
    private(set) var count = 0
    private(set) var capacity = 0
    /// Highest page index frozen so far (-1: none); spares a scan when a series moves to
    /// a page that cannot be frozen yet, the usual case.
    private(set) var highestIndex = -1

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
        highestIndex = Swift.max(highestIndex, index)
    }

    func find(index: Int) -> Location? {
        guard index <= highestIndex else { return nil }
        var found: Location?
        forEachRecord { i, location in
            if i == index { found = location }
        }
        return found
    }

    /// The bytes of an encoded page found by `find` or `forEachRecord`.
    func payload(_ location: Location) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base! + location.payload.lowerBound, count: location.payload.count)
    }

    func forEachRecord(_ body: (Int, Location) -> Void) {
        guard let base else { return }
        let all = UnsafeRawBufferPointer(start: base, count: count)
        var at = 0
        while at < count {
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
        // highestIndex may now be stale-high; it only gates a scan, so that is harmless.
    }

    mutating func release() {
        free(base)
        base = nil
        count = 0
        capacity = 0
        highestIndex = -1
    }
}
