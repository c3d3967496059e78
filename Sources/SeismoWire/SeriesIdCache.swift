#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Maps the raw wire bytes of a TimeSeries' labels to the store's id for that series,
/// so a series seen before skips label validation, key building and the store's own
/// key lookup: the decoder hands the id over in `BatchSeries.seriesHint`.
///
/// Prometheus re-sends the same series with byte-identical labels in every request, so
/// after the first request almost every series is a hit: one hash over the label bytes,
/// one comparison. The cache compares the bytes themselves (the hash only picks the
/// slot), so a collision can cost time but never a wrong id. Entries are learnt after
/// the store has assigned ids (`WriteRequestDecoder.learn`), only for series whose
/// labels passed every rule; the ids of a store are permanent, so an entry never goes
/// stale as long as the decoder serves that one store.
///
/// A sender repeats its series in the same order request after request, so each entry
/// also remembers which entry followed it last time (`next`): the lookup first compares
/// the entry that followed the previous hit, and only hashes and probes when that guess
/// is wrong. A right guess costs one comparison with an entry that, for a stable order,
/// lies just after the previous one in memory; hashing and a slot-table miss per series
/// were ~5 % of the server's CPU at saturation.
///
/// Memory is what each cached series costs the server, so an entry is only its raw
/// bytes, a 12-byte header and an 8-byte slot (at most two slots per entry).
/// It is bounded twice: at most `maxEntries` entries and `maxBytes` bytes. When either
/// would be exceeded the cache is emptied (keeping its buffers) and refills from the
/// series that follow: emptying costs nothing per hit, unlike LRU bookkeeping, and a
/// working set larger than the cache only loses the fast path.
///
/// Not thread-safe: owned by one decoder, which is owned by one thread.
struct SeriesIdCache {
    /// Entry layout in `arena`: id (UInt32), raw length (UInt32), next (UInt32: offset + 1
    /// of the entry looked up after this one last time, 0 = none), then the raw bytes.
    static let entryHeader = 12

    let maxEntries: Int
    let maxBytes: Int
    private var arena: [UInt8] = []
    /// Open-addressing slots: 0 = empty, else (high 32 bits of the hash) << 32 | (entry
    /// offset + 1). The stored hash bits reject almost every foreign entry without
    /// touching the arena.
    private var slots: [UInt64] = []
    private var mask = 0
    private(set) var count = 0
    /// Times the cache was emptied because it was full.
    private(set) var resets = 0
    /// Offset + 1 of the entry the last lookup found (0 = none; the next lookup then
    /// guesses `firstOfRequest`).
    private var previous: UInt32 = 0
    /// Offset + 1 of the entry the first lookup of the last request found.
    private var firstOfRequest: UInt32 = 0

    init(maxEntries: Int = 65_536, maxBytes: Int = 8 << 20) {
        self.maxEntries = max(maxEntries, 0)
        self.maxBytes = min(maxBytes, 1 << 30)  // offsets are 32-bit
    }

    var storedBytes: Int { arena.count }
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

    /// Marks the start of a request: its first series is guessed to be the previous
    /// request's first.
    mutating func beginRequest() {
        previous = 0
    }

    /// The id learnt for these raw label bytes, or nil. `hash` is computed only when the
    /// guess from the sequence is wrong (then it is returned for a later `insert`).
    @inline(__always)
    mutating func id(raw: UnsafePointer<UInt8>, _ rawLength: Int, hash: inout UInt64?) -> UInt32? {
        guard count > 0 else { return nil }
        let guess = previous == 0 ? firstOfRequest : next(of: previous)
        if guess != 0, let id = entryId(guess, raw: raw, rawLength) {
            follow(guess)
            return id
        }
        let h = hash ?? Self.hash(raw, rawLength)
        hash = h
        guard let found = find(raw: raw, rawLength, hash: h) else {
            previous = 0
            return nil
        }
        // The sequence changed here: remember the new successor.
        if previous != 0 { setNext(of: previous, to: found) }
        follow(found)
        return arena.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: Int(found) - 1, as: UInt32.self) }
    }

    /// As above, for a caller that has the hash (no sequence guess, no bookkeeping).
    func id(raw: UnsafePointer<UInt8>, _ rawLength: Int, hash: UInt64) -> UInt32? {
        guard count > 0, let found = find(raw: raw, rawLength, hash: hash) else { return nil }
        return arena.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: Int(found) - 1, as: UInt32.self) }
    }

    @inline(__always)
    private mutating func follow(_ entry: UInt32) {
        if previous == 0 { firstOfRequest = entry }
        previous = entry
    }

    /// The id of entry `entry` (offset + 1) if it holds exactly these bytes.
    @inline(__always)
    private func entryId(_ entry: UInt32, raw: UnsafePointer<UInt8>, _ rawLength: Int) -> UInt32? {
        arena.withUnsafeBytes { bytes -> UInt32? in
            let e = bytes.baseAddress! + Int(entry) - 1
            guard Int(e.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) == rawLength,
                  memcmp(e + Self.entryHeader, raw, rawLength) == 0 else { return nil }
            return e.loadUnaligned(as: UInt32.self)
        }
    }

    @inline(__always)
    private func next(of entry: UInt32) -> UInt32 {
        arena.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: Int(entry) - 1 + 8, as: UInt32.self) }
    }

    private mutating func setNext(of entry: UInt32, to successor: UInt32) {
        arena.withUnsafeMutableBytes { $0.storeBytes(of: successor, toByteOffset: Int(entry) - 1 + 8, as: UInt32.self) }
    }

    /// The entry (offset + 1) holding these bytes, by hash.
    @inline(__always)
    private func find(raw: UnsafePointer<UInt8>, _ rawLength: Int, hash: UInt64) -> UInt32? {
        let tag = hash >> 32
        return arena.withUnsafeBytes { bytes -> UInt32? in
            slots.withUnsafeBufferPointer { table -> UInt32? in
                var i = Int(truncatingIfNeeded: hash) & mask
                while true {
                    let slot = table[i]
                    if slot == 0 { return nil }
                    if slot >> 32 == tag {
                        let entry = bytes.baseAddress! + Int(slot & 0xFFFF_FFFF) - 1
                        if Int(entry.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) == rawLength,
                           memcmp(entry + Self.entryHeader, raw, rawLength) == 0 {
                            return UInt32(truncatingIfNeeded: slot & 0xFFFF_FFFF)
                        }
                    }
                    i = (i + 1) & mask
                }
            }
        }
    }

    /// Remembers that these raw label bytes are series `id` (the caller has checked they
    /// are not cached yet).
    mutating func insert(raw: UnsafePointer<UInt8>, _ rawLength: Int, hash: UInt64, id: UInt32) {
        let size = Self.entryHeader + rawLength
        // An entry that alone takes a large share of the budget would mostly evict others.
        guard maxEntries > 0, rawLength > 0, size <= maxBytes / 16 else { return }
        if count + 1 > maxEntries || arena.count + size > maxBytes { removeAll() }
        if (count + 1) * 2 > slots.count { grow() }

        let offset = arena.count
        withUnsafeBytes(of: id) { arena.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(rawLength)) { arena.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(0)) { arena.append(contentsOf: $0) }
        arena.append(contentsOf: UnsafeBufferPointer(start: raw, count: rawLength))
        place((hash >> 32) << 32 | UInt64(offset + 1), hash: hash)
        count += 1
    }

    /// Empties the cache, keeping its buffers for the refill.
    mutating func removeAll() {
        if count > 0 { resets += 1 }
        arena.removeAll(keepingCapacity: true)
        for i in slots.indices { slots[i] = 0 }
        count = 0
        previous = 0
        firstOfRequest = 0
    }

    private mutating func place(_ slot: UInt64, hash: UInt64) {
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = slot
    }

    private mutating func grow() {
        // Start small, but never past what `maxEntries` can fill to half.
        var limit = 2
        while limit < 2 * maxEntries { limit *= 2 }
        let newCount = min(max(1024, slots.count * 2), limit)
        // Rehash from the entries' bytes: a slot keeps only the top half of its hash.
        var moved: [(slot: UInt64, hash: UInt64)] = []
        moved.reserveCapacity(count)
        arena.withUnsafeBytes { bytes in
            for slot in slots where slot != 0 {
                let entry = bytes.baseAddress! + Int(slot & 0xFFFF_FFFF) - 1
                let length = Int(entry.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
                moved.append((slot, Self.hash((entry + Self.entryHeader).assumingMemoryBound(to: UInt8.self), length)))
            }
        }
        slots = [UInt64](repeating: 0, count: newCount)
        mask = newCount - 1
        for m in moved { place(m.slot, hash: m.hash) }
    }
}
