#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Maps the raw wire bytes of a TimeSeries' labels to the canonical key they validated
/// to, so a series seen before skips label validation and key building.
///
/// Prometheus re-sends the same series with byte-identical labels in every request, so
/// after the first request almost every series is a hit: one hash over the label bytes,
/// one comparison, one copy of the key. The cache compares the bytes themselves — the
/// hash only picks the slot — so a collision can cost time but never a wrong key. Only
/// series whose labels passed every rule are stored; refused series always take the
/// full path (they are rare, and their rejection needs the example text anyway).
/// Keys depend only on the label bytes and the decoder's fixed `WireLimits`, so an
/// entry never goes stale.
///
/// Memory is bounded twice: at most `maxEntries` entries and `maxBytes` bytes of raw
/// labels + keys. When either would be exceeded the cache is emptied (keeping its
/// buffers) and refills from the series that follow. Emptying costs nothing per hit,
/// unlike LRU bookkeeping, and a working set larger than the cache only loses the fast
/// path — it decodes exactly as without a cache. The slot table grows by doubling up to
/// `2 × maxEntries` slots (24 bytes each), so a small installation never pays for the
/// maximum.
///
/// Not thread-safe: owned by one decoder, which is owned by one thread.
struct SeriesKeyCache {
    /// One open-addressing slot. `length == 0` marks an empty slot (a cached series
    /// always has label bytes).
    private struct Slot {
        var hash: UInt64 = 0
        var offset: Int32 = 0
        var rawLength: Int32 = 0
        var keyLength: Int32 = 0
    }

    let maxEntries: Int
    let maxBytes: Int
    /// Raw label bytes then key bytes of each entry, back to back.
    private var storage: [UInt8] = []
    private var slots: [Slot] = []
    private var mask = 0
    private(set) var count = 0
    /// Times the cache was emptied because it was full.
    private(set) var resets = 0

    init(maxEntries: Int = 65_536, maxBytes: Int = 8 << 20) {
        self.maxEntries = max(maxEntries, 1)
        self.maxBytes = min(maxBytes, 1 << 30)  // offsets are Int32
    }

    var storedBytes: Int { storage.count }
    var slotCount: Int { slots.count }

    /// Hashes label bytes 32 at a time in four independent multiply–rotate lanes (one
    /// lane would be a chain of dependent multiplies, the hot spot of a cache hit), then
    /// the last ≤ 31 bytes as whole words, the final one overlapping, and an avalanche.
    /// Not for adversarial keys: a crafted collision only makes lookups compare more
    /// bytes, and probing is bounded by the table's load factor of 1/2.
    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        let raw = UnsafeRawPointer(p)
        let k: UInt64 = 0xBF58_476D_1CE4_E5B9
        @inline(__always) func mix(_ h: UInt64, _ w: UInt64) -> UInt64 {
            let x = (h ^ w) &* k
            return (x << 27) | (x >> 37)
        }
        @inline(__always) func word(_ at: Int) -> UInt64 { raw.loadUnaligned(fromByteOffset: at, as: UInt64.self) }
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: n)
        var i = 0
        if n >= 32 {
            var a = h, b = h ^ 0x2545_F491_4F6C_DD1D, c = h ^ 0x6A09_E667_F3BC_C909, d = h ^ 0x3C6E_F372_FE94_F82B
            while n - i >= 32 {
                a = mix(a, word(i))
                b = mix(b, word(i + 8))
                c = mix(c, word(i + 16))
                d = mix(d, word(i + 24))
                i += 32
            }
            h = mix(mix(mix(a, b), c), d)
        }
        while n - i >= 8 {
            h = mix(h, word(i))
            i += 8
        }
        if i < n {
            if n >= 8 {
                h = mix(h, word(n - 8))  // overlaps bytes already hashed; n is in the seed
            } else {
                var tail: UInt64 = 0
                for j in i..<n { tail |= UInt64(raw.load(fromByteOffset: j, as: UInt8.self)) << (8 * UInt64(j)) }
                h = mix(h, tail)
            }
        }
        h ^= h >> 31
        h = h &* 0x94D0_49BB_1331_11EB
        h ^= h >> 29
        return h
    }

    /// Appends the cached key of these raw label bytes to `key` and returns true, or
    /// returns false when they are not cached.
    @inline(__always)
    func appendKey(raw: UnsafePointer<UInt8>, _ rawLength: Int, hash: UInt64, to key: inout [UInt8]) -> Bool {
        guard count > 0 else { return false }
        return storage.withUnsafeBufferPointer { bytes -> Bool in
            slots.withUnsafeBufferPointer { table -> Bool in
                var i = Int(truncatingIfNeeded: hash) & mask
                while true {
                    let slot = table[i]
                    if slot.rawLength == 0 { return false }
                    if slot.hash == hash && Int(slot.rawLength) == rawLength {
                        let start = bytes.baseAddress! + Int(slot.offset)
                        if memcmp(start, raw, rawLength) == 0 {
                            key.append(contentsOf: UnsafeBufferPointer(start: start + rawLength, count: Int(slot.keyLength)))
                            return true
                        }
                    }
                    i = (i + 1) & mask
                }
            }
        }
    }

    /// Remembers that these raw label bytes validate to `key` (the caller has checked
    /// they are not cached yet).
    mutating func insert(raw: UnsafePointer<UInt8>, _ rawLength: Int, hash: UInt64, key: UnsafeBufferPointer<UInt8>) {
        let size = rawLength + key.count
        // An entry that alone takes a large share of the budget would mostly evict others.
        guard rawLength > 0, size <= maxBytes / 16 else { return }
        if count + 1 > maxEntries || storage.count + size > maxBytes { removeAll() }
        if (count + 1) * 2 > slots.count { grow() }

        let offset = storage.count
        storage.append(contentsOf: UnsafeBufferPointer(start: raw, count: rawLength))
        storage.append(contentsOf: key)
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i].rawLength != 0 { i = (i + 1) & mask }
        slots[i] = Slot(hash: hash, offset: Int32(offset), rawLength: Int32(rawLength), keyLength: Int32(key.count))
        count += 1
    }

    /// Empties the cache, keeping its buffers for the refill.
    mutating func removeAll() {
        if count > 0 { resets += 1 }
        storage.removeAll(keepingCapacity: true)
        for i in slots.indices { slots[i] = Slot() }
        count = 0
    }

    private mutating func grow() {
        // Start small, but never past what `maxEntries` can fill to half.
        var limit = 2
        while limit < 2 * maxEntries { limit *= 2 }
        let newCount = min(max(1024, slots.count * 2), limit)
        var fresh = [Slot](repeating: Slot(), count: newCount)
        let newMask = newCount - 1
        for slot in slots where slot.rawLength != 0 {
            var i = Int(truncatingIfNeeded: slot.hash) & newMask
            while fresh[i].rawLength != 0 { i = (i + 1) & newMask }
            fresh[i] = slot
        }
        slots = fresh
        mask = newMask
    }
}
