import Testing
@testable import SeismoStore
import SeismoTestSupport

/// `PageCodec.decode` (the fast decoder: padded copy, one window per row, selects) must
/// give exactly what the reference `forEachCell` gives, on every kind of page the encoder
/// writes, and leave absent rows untouched.
@Suite struct PageDecodeEquivalenceTests {
    /// Values of one page: each generator is a shape the head sees (or must survive).
    static func values(_ kind: Int, _ rng: inout SplitMix) -> [UInt64] {
        let rows = DensePage.rows
        let start = Double(Int.random(in: 0...1_000_000_000, using: &rng))
        switch kind {
        case 0:  // integer counter, random increments (the ingest benchmark's byte counters)
            var v = start
            return (0..<rows).map { _ in
                v += Double(Int.random(in: 0...5000, using: &rng))
                return v.bitPattern
            }
        case 1:  // steady full-precision counter (linear prediction's case)
            let rate = rng.unit() * 100
            return (0..<rows).map { (start + Double($0) * rate).bitPattern }
        case 2:  // flat gauge with occasional steps
            var v = rng.unit()
            return (0..<rows).map { _ in
                if Int.random(in: 0..<5, using: &rng) == 0 { v = rng.unit() * 1e6 }
                return v.bitPattern
            }
        case 3:  // two-decimal gauge (load average)
            return (0..<rows).map { _ in (Double(Int.random(in: 0...400, using: &rng)) / 100).bitPattern }
        case 4:  // random bits: widest residuals, sign and exponent changes
            return (0..<rows).map { _ in UInt64.random(in: .min ... .max, using: &rng) }
        default:  // awkward patterns: NaN payloads, stale markers, ±0, infinities
            return (0..<rows).map { _ in awkwardBits.randomElement(using: &rng)! }
        }
    }

    static func tags(_ kind: Int, rows: Int, _ rng: inout SplitMix) -> [UInt16] {
        var tags = (0..<DensePage.rows).map { r -> UInt16 in
            guard r < rows else { return 0 }
            switch kind {
            case 0: return 1  // scraped on the second
            case 1: return Int.random(in: 0..<4, using: &rng) == 0 ? 0 : 1  // gaps
            case 2: return UInt16.random(in: 1...1000, using: &rng)  // jittered scrapes
            default: return Int.random(in: 0..<2, using: &rng) == 0 ? 0 : UInt16.random(in: 1...3, using: &rng)
            }
        }
        if !tags.prefix(rows).contains(where: { $0 != 0 }) { tags[Int.random(in: 0..<rows, using: &rng)] = 7 }
        return tags
    }

    @Test func fastDecoderMatchesTheReference() {
        var rng = SplitMix(state: 2026_12_01)
        let page = DensePage.allocate()
        let fast = DensePage.allocate()
        let out = UnsafeMutablePointer<UInt8>.allocate(capacity: PageCodec.maxEncodedBytes)
        defer {
            page.deallocate()
            fast.deallocate()
            out.deallocate()
        }
        let sentinelTag: UInt16 = 0xBEEF
        let sentinelValue: UInt64 = 0xDEAD_BEEF_DEAD_BEEF
        var checked = 0
        for valueKind in 0..<6 {
            for tagKind in 0..<4 {
                for _ in 0..<300 {
                    let rows = Bool.random(using: &rng) ? DensePage.rows : Int.random(in: 1...DensePage.rows, using: &rng)
                    let tags = Self.tags(tagKind, rows: rows, &rng)
                    let values = Self.values(valueKind, &rng)
                    page.clear()
                    for r in 0..<rows where tags[r] != 0 {
                        page.tags[r] = tags[r]
                        page.values[r] = values[r]
                    }
                    for predictor in [nil, UInt8(0), 1] {
                        let length = predictor.map { PageCodec.encode(page, rows: rows, predictor: $0, into: out) }
                            ?? PageCodec.encode(page, rows: rows, into: out)
                        let bytes = UnsafeRawBufferPointer(start: out, count: length)
                        var expectedTags = [UInt16](repeating: sentinelTag, count: DensePage.rows)
                        var expectedValues = [UInt64](repeating: sentinelValue, count: DensePage.rows)
                        PageCodec.forEachCell(bytes, rows: rows) { row, tag, value in
                            expectedTags[row] = tag
                            expectedValues[row] = value
                        }
                        fast.tags.update(repeating: sentinelTag, count: DensePage.rows)
                        fast.values.update(repeating: sentinelValue, count: DensePage.rows)
                        PageCodec.decode(bytes, rows: rows, into: fast)
                        #expect(Array(UnsafeBufferPointer(start: fast.tags, count: DensePage.rows)) == expectedTags,
                                "values \(valueKind) tags \(tagKind) rows \(rows) predictor \(String(describing: predictor))")
                        #expect(Array(UnsafeBufferPointer(start: fast.values, count: DensePage.rows)) == expectedValues,
                                "values \(valueKind) tags \(tagKind) rows \(rows) predictor \(String(describing: predictor))")
                        // And both are the page itself.
                        for r in 0..<rows where tags[r] != 0 {
                            #expect(expectedTags[r] == tags[r] && expectedValues[r] == values[r])
                        }
                        checked += 1
                    }
                }
            }
        }
        #expect(checked == 6 * 4 * 300 * 3)
    }
    /// `decodePair` writes what `decode` writes for each of its two pages, whatever the
    /// two pages' predictors, densities and lengths.
    @Test func pairedDecoderMatchesTheSingleOne() {
        var rng = SplitMix(state: 77)
        let rows = DensePage.rows
        let source = DensePage.allocate()
        let outA = UnsafeMutablePointer<UInt8>.allocate(capacity: PageCodec.maxEncodedBytes)
        let outB = UnsafeMutablePointer<UInt8>.allocate(capacity: PageCodec.maxEncodedBytes)
        let pair = (DensePage.allocate(), DensePage.allocate())
        let single = (DensePage.allocate(), DensePage.allocate())
        defer {
            for p in [source, pair.0, pair.1, single.0, single.1] { p.deallocate() }
            outA.deallocate()
            outB.deallocate()
        }
        func encodeRandom(into out: UnsafeMutablePointer<UInt8>) -> UnsafeRawBufferPointer {
            let tags = Self.tags(Int.random(in: 0..<4, using: &rng), rows: rows, &rng)
            let values = Self.values(Int.random(in: 0..<6, using: &rng), &rng)
            source.clear()
            for r in 0..<rows where tags[r] != 0 {
                source.tags[r] = tags[r]
                source.values[r] = values[r]
            }
            let length = Bool.random(using: &rng)
                ? PageCodec.encode(source, rows: rows, into: out)
                : PageCodec.encode(source, rows: rows, predictor: UInt8.random(in: 0...1, using: &rng), into: out)
            return UnsafeRawBufferPointer(start: out, count: length)
        }
        for _ in 0..<3000 {
            let a = encodeRandom(into: outA)
            let b = encodeRandom(into: outB)
            for p in [pair.0, pair.1, single.0, single.1] {
                p.tags.update(repeating: 0xBEEF, count: rows)
                p.values.update(repeating: 0xDEAD_BEEF, count: rows)
            }
            PageCodec.decodePair(a, into: pair.0, b, into: pair.1)
            PageCodec.decode(a, rows: rows, into: single.0)
            PageCodec.decode(b, rows: rows, into: single.1)
            for (x, y) in [(pair.0, single.0), (pair.1, single.1)] {
                #expect(Array(UnsafeBufferPointer(start: x.tags, count: rows)) == Array(UnsafeBufferPointer(start: y.tags, count: rows)))
                #expect(Array(UnsafeBufferPointer(start: x.values, count: rows)) == Array(UnsafeBufferPointer(start: y.values, count: rows)))
            }
        }
    }
}
