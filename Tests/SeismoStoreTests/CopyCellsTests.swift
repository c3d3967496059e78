import Foundation
import Testing
@testable import SeismoStore

/// `SegmentBuffer.copyCells` (the seal's path: pages decoded straight into the
/// destination) against `forEachCell` (cell by cell) and the reference head, on segments
/// with every kind of page: dense, frozen, thawed by late writes, spilled, spilled and
/// thawed again, and ranges that cut pages anywhere.
@Suite struct CopyCellsTests {
    let base: Int64 = 1_795_996_800  // a whole hour

    /// Random writes into one segment: mostly in order with gaps, some late, freezes and
    /// spills between them. Returns the segment and the reference cells.
    func randomSegment(seed: UInt64, spillDir: String?) -> (SegmentBuffer, ReferenceHead) {
        var rng = CopyCellsRandom(seed: seed)
        let segment = SegmentBuffer(start: base, span: 3600, context: PageContext(),
                                    spillPath: spillDir.map { $0 + "/spill" })
        var reference = ReferenceHead()
        var newest: [UInt32: Int64] = [:]
        for step in 0..<6000 {
            let series = UInt32(rng.next() % 5)
            var second = (newest[series] ?? -1) + 1 + Int64(rng.next() % 3)
            if rng.next() % 8 == 0 { second = Int64(rng.next() % UInt64(max(1, second))) }  // late
            guard second < 3600 else { continue }
            newest[series] = max(newest[series] ?? 0, second)
            let ms = (base + second) * 1000 + Int64(rng.next() % 1000)
            let bits = rng.next() % 4 == 0 ? rng.next() : (Double(step) * 0.5).bitPattern
            let tag = UInt16(ms - (base + second) * 1000) + 1
            let collided = segment.put(series: series, second: base + second, tag: tag, valueBits: bits)
            #expect(collided == reference.put(series: series, timestampMs: ms, bits: bits))
            if step % 700 == 699 {
                segment.freezeIdle(endingAtOrBefore: base + (newest.values.max() ?? 0) - 16)
                segment.spillFrozen()
            }
        }
        return (segment, reference)
    }

    /// `mapped`: through the seal's map of the spill file (`SegmentBuffer.mapSpill`)
    /// instead of a pread per spilled blob.
    @Test(arguments: [(false, false), (true, false), (true, true)])
    func copyCellsEqualsCellByCell(spilling: Bool, mapped: Bool) {
        let dir = spilling ? makeTempDirectory("copyCells-\(spilling)-\(mapped)") : nil
        for seed in 1...6 as ClosedRange<UInt64> {
            let (segment, reference) = randomSegment(seed: seed, spillDir: dir)
            let mapping = mapped ? segment.mapSpill() : nil
            #expect((mapping != nil) == mapped)
            var rng = CopyCellsRandom(seed: seed * 77)
            var ranges: [Range<Int64>] = [base..<(base + 3600), (base - 50)..<(base + 4000)]
            for _ in 0..<20 {
                let a = Int64(rng.next() % 3700) - 50
                let b = a + Int64(rng.next() % 400)
                ranges.append((base + a)..<(base + b))
            }
            for series in 0..<6 as Range<UInt32> {
                for seconds in ranges {
                    let count = Int(seconds.count)
                    let values = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, count))
                    let tags = UnsafeMutablePointer<UInt16>.allocate(capacity: max(1, count))
                    defer {
                        values.deallocate()
                        tags.deallocate()
                    }
                    values.initialize(repeating: 0xDEAD, count: count)
                    tags.initialize(repeating: 0, count: count)
                    segment.copyCells(of: series, seconds: seconds, mapping: mapping, values: values, tags: tags)
                    var viaCells: [Cell] = []
                    segment.forEachCell(of: series, seconds: seconds) { viaCells.append(Cell(second: $0, tag: $1, bits: $2)) }
                    var copied: [Cell] = []
                    for i in 0..<count where tags[i] != 0 {
                        copied.append(Cell(second: seconds.lowerBound + Int64(i), tag: tags[i], bits: values[i]))
                    }
                    let absentUntouched = (0..<count).allSatisfy { tags[$0] != 0 || values[$0] == 0xDEAD }
                    #expect(copied == viaCells)
                    #expect(copied == reference.ordered(series, in: seconds))
                    #expect(absentUntouched)
                }
            }
        }
    }
}

/// A small deterministic generator (the tests must not depend on the system's).
private struct CopyCellsRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
