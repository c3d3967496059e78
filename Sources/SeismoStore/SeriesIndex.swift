/// In-memory map from canonical label key (see `LabelKey`) to a dense series id.
///
/// Open addressing over one byte arena: a lookup of a known series hashes the key and
/// compares bytes in place, so the ingest hot path allocates nothing per sample.
struct SeriesIndex {
    private(set) var keyArena: [UInt8] = []
    private(set) var keyOffsets: [Int] = []
    private var keyHashes: [UInt64] = []
    /// Slot → id + 1 (0 = empty). Capacity is a power of two, load ≤ 1/2.
    private var slots: [UInt32] = Array(repeating: 0, count: 1024)

    var count: Int { keyOffsets.count }

    func key(of id: UInt32) -> ArraySlice<UInt8> {
        let start = keyOffsets[Int(id)]
        let end = Int(id) + 1 < keyOffsets.count ? keyOffsets[Int(id) + 1] : keyArena.count
        return keyArena[start..<end]
    }

    func lookup(_ key: UnsafeRawBufferPointer) -> UInt32? {
        let h = Self.hash(key)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s == 0 { return nil }
            let id = s - 1
            if keyHashes[Int(id)] == h && equals(id, key) { return id }
            i = (i + 1) & mask
        }
    }

    /// Returns the id of `key`, adding it with the next id if it is new.
    mutating func lookupOrInsert(_ key: UnsafeRawBufferPointer) -> (id: UInt32, inserted: Bool) {
        if let id = lookup(key) { return (id, false) }
        return (insertNew(key), true)
    }

    /// Adds a key known to be absent (recovery path, or after a failed lookup).
    @discardableResult
    mutating func insertNew(_ key: UnsafeRawBufferPointer) -> UInt32 {
        if (count + 1) * 2 > slots.count { grow() }
        let id = UInt32(count)
        let h = Self.hash(key)
        keyOffsets.append(keyArena.count)
        keyArena.append(contentsOf: key)
        keyHashes.append(h)
        place(id: id, hash: h)
        return id
    }

    private mutating func place(id: UInt32, hash h: UInt64) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = id + 1
    }

    private mutating func grow() {
        slots = Array(repeating: 0, count: slots.count * 2)
        for id in 0..<count { place(id: UInt32(id), hash: keyHashes[id]) }
    }

    private func equals(_ id: UInt32, _ key: UnsafeRawBufferPointer) -> Bool {
        let start = keyOffsets[Int(id)]
        let end = Int(id) + 1 < keyOffsets.count ? keyOffsets[Int(id) + 1] : keyArena.count
        guard end - start == key.count else { return false }
        return keyArena.withUnsafeBytes { arena in
            memcmp(arena.baseAddress! + start, key.baseAddress!, key.count) == 0
        }
    }

    /// 64-bit hash, 8 bytes per step with a multiply-xorshift mix (keys are ~100 bytes).
    static func hash(_ key: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(key.count)
        var i = 0
        let n = key.count
        while n - i >= 8 {
            let w = key.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = (h ^ w) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 29
            i += 8
        }
        // The last 1–7 bytes: one load of the key's final 8 bytes (overlapping bytes
        // already mixed) when the key is that long, instead of a byte loop.
        var tail: UInt64 = 0
        if i < n {
            if n >= 8 {
                tail = key.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) >> (UInt64(8 - (n - i)) * 8)
            } else {
                var shift: UInt64 = 0
                while i < n {
                    tail |= UInt64(key[i]) << shift
                    shift += 8
                    i += 1
                }
            }
        }
        h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
        h ^= h >> 32
        return h
    }
}

#if canImport(Glibc)
import Glibc
#endif
