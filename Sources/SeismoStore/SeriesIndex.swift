import SeismoModel

/// In-memory map from canonical label key (see `LabelKey`) to a dense series id.
///
/// Open addressing over one byte arena: a lookup of a known series hashes the key and
/// compares bytes in place, so the ingest hot path allocates nothing per sample.
/// A class, not a struct: a lookup through a struct stored in the catalog copied it,
/// retaining and releasing its four arrays on every sample (perf: ~4 % of the CPU).
final class SeriesIndex {
    private(set) var keyArena: [UInt8] = []
    /// Where each id's key starts in `keyArena` (32 bits: the arena stays far below 4 GiB
    /// at `limits.max_series`), and the top half of its hash, which rejects almost every
    /// foreign slot without touching the arena. Per series these and the slots are ~18 B.
    private var keyOffsets: [UInt32] = []
    private var keyTags: [UInt32] = []
    /// Slot → id + 1 (0 = empty). Capacity is a power of two, load ≤ 1/2.
    private var slots: [UInt32] = Array(repeating: 0, count: 1024)

    var count: Int { keyOffsets.count }

    func key(of id: UInt32) -> ArraySlice<UInt8> {
        keyArena[keyRange(id)]
    }

    private func keyRange(_ id: UInt32) -> Range<Int> {
        let start = Int(keyOffsets[Int(id)])
        let end = Int(id) + 1 < keyOffsets.count ? Int(keyOffsets[Int(id) + 1]) : keyArena.count
        return start..<end
    }

    func lookup(_ key: UnsafeRawBufferPointer) -> UInt32? {
        lookup(key, hash: Self.hash(key))
    }

    /// Lookup with the key's hash already known. A wrong hash only makes it miss.
    func lookup(_ key: UnsafeRawBufferPointer, hash h: UInt64) -> UInt32? {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s == 0 { return nil }
            let id = s - 1
            if keyTags[Int(id)] == UInt32(truncatingIfNeeded: h >> 32) && equals(id, key) { return id }
            i = (i + 1) & mask
        }
    }

    /// Returns the id of `key`, adding it with the next id if it is new.
    func lookupOrInsert(_ key: UnsafeRawBufferPointer) -> (id: UInt32, inserted: Bool) {
        if let id = lookup(key) { return (id, false) }
        return (insertNew(key), true)
    }

    /// Adds a key known to be absent (recovery path, or after a failed lookup).
    @discardableResult
    func insertNew(_ key: UnsafeRawBufferPointer, hash: UInt64? = nil) -> UInt32 {
        if (count + 1) * 2 > slots.count { grow() }
        let id = UInt32(count)
        let h = hash ?? Self.hash(key)
        precondition(keyArena.count + key.count <= Int(UInt32.max), "series catalog keys exceed 4 GiB")
        keyOffsets.append(UInt32(keyArena.count))
        keyArena.append(contentsOf: key)
        keyTags.append(UInt32(truncatingIfNeeded: h >> 32))
        place(id: id, hash: h)
        return id
    }

    private func place(id: UInt32, hash h: UInt64) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = id + 1
    }

    private func grow() {
        slots = Array(repeating: 0, count: slots.count * 2)
        // Rare (doublings): the full hashes are recomputed from the keys.
        keyArena.withUnsafeBytes { arena in
            for id in 0..<count {
                place(id: UInt32(id), hash: Self.hash(UnsafeRawBufferPointer(rebasing: arena[keyRange(UInt32(id))])))
            }
        }
    }

    private func equals(_ id: UInt32, _ key: UnsafeRawBufferPointer) -> Bool {
        let range = keyRange(id)
        guard range.count == key.count else { return false }
        return keyArena.withUnsafeBytes { arena in
            memcmp(arena.baseAddress! + range.lowerBound, key.baseAddress!, key.count) == 0
        }
    }

    @inline(__always)
    static func hash(_ key: UnsafeRawBufferPointer) -> UInt64 { LabelKey.hash(key) }
}

#if canImport(Glibc)
import Glibc
#endif
