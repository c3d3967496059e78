import Foundation
import Testing
@testable import SeismoStore
import SeismoTestSupport

/// Bit patterns the codec must not bend: NaN payloads (quiet, signalling, negative),
/// Prometheus' stale marker, ±0, denormals, infinities, extremes.
let awkwardBits: [UInt64] = [
    0x7FF8_0000_0000_0000, 0x7FF8_0000_0000_0001, 0x7FF0_0000_0000_0001, 0xFFF8_0000_0000_0000,
    0x7FF0_0000_0000_0002,  // Prometheus stale marker
    0x7FFF_FFFF_FFFF_FFFF, 0x0000_0000_0000_0000, 0x8000_0000_0000_0000,
    0x0000_0000_0000_0001, 0x000F_FFFF_FFFF_FFFF, 0x8000_0000_0000_0001,
    0x7FF0_0000_0000_0000, 0xFFF0_0000_0000_0000, 0x7FEF_FFFF_FFFF_FFFF, 0xFFEF_FFFF_FFFF_FFFF,
    Double(1).bitPattern, Double(-1).bitPattern, UInt64.max,
]

@Suite struct PageCodecTests {
    /// Encodes the first `rows` rows of a page, decodes into a fresh page and checks every
    /// row (present rows bit-exact, absent rows still absent). Returns the encoded size.
    @discardableResult
    func roundTrip(tags: [UInt16], values: [UInt64], rows: Int = DensePage.rows,
                   sourceLocation: SourceLocation = #_sourceLocation) -> Int {
        let page = DensePage.allocate()
        let back = DensePage.allocate()
        let out = UnsafeMutablePointer<UInt8>.allocate(capacity: 2 * PageCodec.maxEncodedBytes)
        defer {
            page.deallocate()
            back.deallocate()
            out.deallocate()
        }
        for r in 0..<rows {
            page.tags[r] = tags[r]
            page.values[r] = tags[r] == 0 ? 0 : values[r]
        }
        // Both predictors must round-trip, whichever the encoder's estimate picks.
        var lengths: [Int] = []
        for predictor in [UInt8(0), 1] {
            back.clear()
            let length = PageCodec.encode(page, rows: rows, predictor: predictor, into: out)
            lengths.append(length)
            #expect(length <= PageCodec.maxEncodedBytes, sourceLocation: sourceLocation)
            PageCodec.decode(UnsafeRawBufferPointer(start: out, count: length), rows: rows, into: back)
            for r in 0..<rows {
                #expect(back.tags[r] == tags[r], "predictor \(predictor) row \(r) tag", sourceLocation: sourceLocation)
                if tags[r] != 0 {
                    #expect(back.values[r] == values[r], "predictor \(predictor) row \(r) value", sourceLocation: sourceLocation)
                }
            }
        }
        let length = PageCodec.encode(page, rows: rows, into: out)
        #expect(lengths.contains(length), sourceLocation: sourceLocation)
        // The one-pass encoder writes exactly what the plain one writes with the estimate's pick.
        let fast = Array(UnsafeBufferPointer(start: out, count: length))
        let reference = PageCodec.encode(page, rows: rows, predictor: PageCodec.cheaperPredictor(page, rows: rows), into: out)
        #expect(fast == Array(UnsafeBufferPointer(start: out, count: reference)), sourceLocation: sourceLocation)
        return length
    }

    let full = DensePage.rows

    @Test func allPresentRandomBits() {
        var rng = SplitMix(state: 1)
        for _ in 0..<200 {
            let tags = (0..<full).map { _ in UInt16.random(in: 1...1000, using: &rng) }
            let values = (0..<full).map { _ in UInt64.random(in: .min ... .max, using: &rng) }
            roundTrip(tags: tags, values: values)
        }
    }

    @Test func randomPresenceAndDensity() {
        var rng = SplitMix(state: 2)
        for density in [0.02, 0.1, 0.5, 0.9] {
            for _ in 0..<100 {
                var tags = (0..<full).map { _ in Double.random(in: 0..<1, using: &rng) < density ? UInt16.random(in: 1...1000, using: &rng) : 0 }
                if !tags.contains(where: { $0 != 0 }) { tags[Int.random(in: 0..<full, using: &rng)] = 1000 }
                let values = (0..<full).map { _ in Double.random(in: -1e9...1e9, using: &rng).bitPattern }
                roundTrip(tags: tags, values: values)
            }
        }
    }

    @Test func singleSampleAtEitherEnd() {
        for row in [0, 1, full - 2, full - 1] {
            var tags = [UInt16](repeating: 0, count: full)
            tags[row] = 1000
            roundTrip(tags: tags, values: [UInt64](repeating: 0x7FF0_0000_0000_0002, count: full))
        }
    }

    @Test func awkwardValuesInEveryOrder() {
        var rng = SplitMix(state: 3)
        for _ in 0..<300 {
            let tags = (0..<full).map { _ in UInt16.random(in: 1...1000, using: &rng) }
            let values = (0..<full).map { _ in awkwardBits.randomElement(using: &rng)! }
            roundTrip(tags: tags, values: values)
        }
        // Linear prediction over NaN and infinities produces NaN/inf predictions.
        let cycle = (0..<full).map { awkwardBits[$0 % awkwardBits.count] }
        roundTrip(tags: [UInt16](repeating: 1, count: full), values: cycle)
    }

    @Test func shortLastPageOfASegment() {
        // 3600 s ends with a page of 16 rows (pages of 32 or 64).
        var rng = SplitMix(state: 4)
        let rows = 3600 % DensePage.rows
        for _ in 0..<50 {
            let tags = (0..<full).map { r in r < rows && Bool.random(using: &rng) ? UInt16.random(in: 1...1000, using: &rng) : 0 }
            guard tags.contains(where: { $0 != 0 }) else { continue }
            let values = (0..<full).map { _ in UInt64.random(in: .min ... .max, using: &rng) }
            roundTrip(tags: tags, values: values, rows: rows)
        }
    }

    @Test func steadySeriesEncodeSmall() {
        // What the head is sized for: scraped every second at the same millisecond.
        let tags = [UInt16](repeating: 1, count: full)
        let constant = [UInt64](repeating: Double(42.5).bitPattern, count: full)
        let counter = (0..<full).map { (123_456.789 + Double($0) * 17.31).bitPattern }
        let constantBytes = roundTrip(tags: tags, values: constant)
        let counterBytes = roundTrip(tags: tags, values: counter)
        #expect(constantBytes <= 32)  // 2 bits a row after the first
        // Dense, the page is 640 bytes.
        #expect(counterBytes <= 200)
    }
}
