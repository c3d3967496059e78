import Foundation
import SeismoModel
import SeismoTestSupport
@testable import SeismoWire
import Testing

@Suite("Series id cache")
struct SeriesIdCacheTests {
    @Test("entries with the same hash are told apart by their bytes")
    func collisions() {
        var cache = SeriesIdCache(maxEntries: 16, maxBytes: 1 << 16)
        let a: [UInt8] = Array("aaaa".utf8), b: [UInt8] = Array("bbbb".utf8), c: [UInt8] = Array("cccc".utf8)
        a.withUnsafeBufferPointer { cache.insert(raw: $0.baseAddress!, 4, hash: 7, id: 11) }
        b.withUnsafeBufferPointer { cache.insert(raw: $0.baseAddress!, 4, hash: 7, id: 22) }
        #expect(b.withUnsafeBufferPointer { cache.id(raw: $0.baseAddress!, 4, hash: 7) } == 22)
        #expect(a.withUnsafeBufferPointer { cache.id(raw: $0.baseAddress!, 4, hash: 7) } == 11)
        #expect(c.withUnsafeBufferPointer { cache.id(raw: $0.baseAddress!, 4, hash: 7) } == nil)
        // Same bytes, shorter length: not the same entry.
        #expect(a.withUnsafeBufferPointer { cache.id(raw: $0.baseAddress!, 3, hash: 7) } == nil)
    }

    @Test("a repeated order is followed without hashing; any other order still finds every entry")
    func sequenceGuess() {
        var cache = SeriesIdCache(maxEntries: 16, maxBytes: 1 << 16)
        let keys = ["alpha", "bravo", "charlie", "delta"].map { Array($0.utf8) }
        for (i, k) in keys.enumerated() {
            k.withUnsafeBufferPointer { cache.insert(raw: $0.baseAddress!, k.count, hash: SeriesIdCache.hash($0.baseAddress!, k.count), id: UInt32(i)) }
        }
        func lookup(_ order: [Int]) -> (ids: [UInt32?], hashed: Int) {
            cache.beginRequest()
            var hashed = 0
            let ids = order.map { i -> UInt32? in
                var hash: UInt64?
                let id = keys[i].withUnsafeBufferPointer { cache.id(raw: $0.baseAddress!, keys[i].count, hash: &hash) }
                if hash != nil { hashed += 1 }
                return id
            }
            return (ids, hashed)
        }
        #expect(lookup([0, 1, 2, 3]) == ([0, 1, 2, 3], 4))  // first sight of the order: all hashed
        #expect(lookup([0, 1, 2, 3]) == ([0, 1, 2, 3], 0))  // followed
        #expect(lookup([2, 0, 3, 1]).ids == [2, 0, 3, 1])   // another order: still right
        #expect(lookup([2, 0, 3, 1]) == ([2, 0, 3, 1], 0))  // and learnt
        let unknown = Array("echo".utf8)
        var hash: UInt64?
        cache.beginRequest()
        #expect(unknown.withUnsafeBufferPointer { cache.id(raw: $0.baseAddress!, 4, hash: &hash) } == nil)
        #expect(hash == SeriesIdCache.hash(unknown, 4))
    }

    @Test("entries survive the slot table growing (rehashed from their bytes)")
    func growth() {
        var cache = SeriesIdCache(maxEntries: 10_000, maxBytes: 1 << 20)
        let keys = (0..<3000).map { Array("series-\($0)".utf8) }
        for (i, k) in keys.enumerated() {
            k.withUnsafeBufferPointer { cache.insert(raw: $0.baseAddress!, k.count, hash: SeriesIdCache.hash($0.baseAddress!, k.count), id: UInt32(i)) }
        }
        #expect(cache.slotCount >= 6000 && cache.count == 3000)
        for (i, k) in keys.enumerated() {
            #expect(k.withUnsafeBufferPointer { cache.id(raw: $0.baseAddress!, k.count, hash: SeriesIdCache.hash($0.baseAddress!, k.count)) } == UInt32(i))
        }
    }

    @Test("a decoder never taught ids never hints; a taught one hints every series it saw")
    func learning() throws {
        let body = try Fixtures.load("prom242_batch2000_01.bin")
        let decoder = WriteRequestDecoder()
        var batch = WriteBatch()
        for _ in 0..<2 {
            batch.removeAll()
            try body.withUnsafeBytes { try decoder.decode(snappyBody: $0, into: &batch) }
            #expect(batch.series.allSatisfy { $0.seriesHint == BatchSeries.unresolved })
        }
        #expect(decoder.cachedSeries == 0)
        let book = SeriesIdBook()
        book.learn(decoder, batch)
        #expect(decoder.cachedSeries == 975)
        let keyed = batch
        batch.removeAll()
        try body.withUnsafeBytes { try decoder.decode(snappyBody: $0, into: &batch) }
        #expect(batch.series.allSatisfy { $0.seriesHint != BatchSeries.unresolved && $0.keyLength == 0 })
        #expect(batch.labelBytes.isEmpty)
        #expect(BatchImage(book.expand(batch)) == BatchImage(keyed))
        // Ids the store did not assign (unresolved) are not learnt.
        let fresh = WriteRequestDecoder()
        batch.removeAll()
        try body.withUnsafeBytes { try fresh.decode(snappyBody: $0, into: &batch) }
        let none = [UInt32](repeating: BatchSeries.unresolved, count: batch.series.count)
        none.withUnsafeBufferPointer { fresh.learn($0) }
        #expect(fresh.cachedSeries == 0)
    }

    @Test("a full cache empties itself; decoding stays identical")
    func bounded() throws {
        let body = try Fixtures.load("prom242_batch2000_01.bin")
        let walker = WarmWalker(seriesCacheEntries: 100, seriesCacheBytes: 1 << 20)
        for _ in 0..<3 { expectSameOutcome(body, .snappy, walker: walker) }
        #expect(walker.cachedSeries <= 100)
        #expect(walker.seriesCacheResets > 0)
        #expect(walker.seriesCacheFootprint.slots <= 256)
        let byBytes = WarmWalker(seriesCacheEntries: 100_000, seriesCacheBytes: 16 << 10)
        for _ in 0..<2 { expectSameOutcome(body, .snappy, walker: byBytes) }
        #expect(byBytes.seriesCacheFootprint.bytes <= 16 << 10)
        #expect(byBytes.seriesCacheResets > 0)
        let off = WarmWalker(seriesCacheEntries: 0)
        for _ in 0..<2 { expectSameOutcome(body, .snappy, walker: off) }
        #expect(off.cachedSeries == 0)
    }

    @Test("the same labels encoded differently are separate entries with the same key")
    func differentEncodings() {
        let walker = WarmWalker()
        let plain = PB.writeRequest([PB.series([("__name__", "up"), ("job", "a")], samples: [(1, 1)])])
        var label = PB()
        label.bytesField(2, Array("up".utf8))  // value before name
        label.bytesField(1, Array("__name__".utf8))
        var s = PB()
        s.bytesField(1, label.bytes)
        s.bytesField(1, PB.label(Array("job".utf8), Array("a".utf8)))
        s.bytesField(2, PB.sample(2, 2))
        let reordered = PB.writeRequest([s.bytes])
        guard case .batch(let x) = expectSameOutcome(plain, walker: walker),
              case .batch(let y) = expectSameOutcome(reordered, walker: walker) else {
            Issue.record("refused")
            return
        }
        #expect(x.labelBytes == y.labelBytes)
        #expect(walker.cachedSeries == 2)
    }
}
