import Foundation
import SeismoModel
import Testing
@testable import SeismoStore
import SeismoTestSupport

/// The head's cell rules, kept the obvious way: one dictionary entry per (series, second).
struct ReferenceHead {
    var cells: [UInt32: [Int64: (tag: UInt16, bits: UInt64)]] = [:]

    /// Same contract as `Head.put`: true on a collision; a later or equal tag replaces.
    mutating func put(series: UInt32, timestampMs: Int64, bits: UInt64) -> Bool {
        let second = floorDiv(timestampMs, 1000)
        let tag = UInt16(timestampMs - second * 1000) + 1
        if let old = cells[series]?[second] {
            if tag >= old.tag { cells[series]![second] = (tag, bits) }
            return true
        }
        cells[series, default: [:]][second] = (tag, bits)
        return false
    }

    func ordered(_ series: UInt32, in seconds: Range<Int64>) -> [Cell] {
        (cells[series] ?? [:]).filter { seconds.contains($0.key) }.sorted { $0.key < $1.key }
            .map { Cell(second: $0.key, tag: $0.value.tag, bits: $0.value.bits) }
    }
}

struct Cell: Equatable, CustomStringConvertible {
    var second: Int64
    var tag: UInt16
    var bits: UInt64
    var description: String { "\(second):\(tag):\(String(bits, radix: 16))" }
}

func headCells(_ head: Head, _ series: UInt32, in seconds: Range<Int64>) -> [Cell] {
    var out: [Cell] = []
    for segment in head.segments.values.sorted(by: { $0.start < $1.start }) {
        segment.forEachCell(of: series, seconds: seconds) { out.append(Cell(second: $0, tag: $1, bits: $2)) }
    }
    return out
}

@Suite struct HeadPagingTests {
    let base: Int64 = 1_795_996_800  // a whole hour (span 3600 divides it)

    @Test func inOrderThenLateWritesIntoFrozenPages() {
        let head = Head(span: 3600)
        var reference = ReferenceHead()
        for s in 0..<300 as Range<Int64> {
            let ms = (base + s) * 1000 + 250
            let bits = (1000.0 + Double(s) * 3.5).bitPattern
            #expect(head.put(series: 7, timestampMs: ms, valueBits: bits) == reference.put(series: 7, timestampMs: ms, bits: bits))
        }
        // Every page before second 300 is frozen now. Late writes: later ms wins, earlier ms loses, a tie
        // replaces, a new second in an old page appears.
        let late: [(Int64, UInt64)] = [
            ((base + 10) * 1000 + 900, 0x7FF0_0000_0000_0002),  // later in the second: wins
            ((base + 11) * 1000 + 100, Double(-0.0).bitPattern),  // earlier: loses
            ((base + 12) * 1000 + 250, Double.nan.bitPattern),  // tie: last write wins
            ((base + 70) * 1000 + 999, 0x0000_0000_0000_0001),
        ]
        for (ms, bits) in late {
            #expect(head.put(series: 7, timestampMs: ms, valueBits: bits) == reference.put(series: 7, timestampMs: ms, bits: bits))
        }
        #expect(headCells(head, 7, in: base..<(base + 3600)) == reference.ordered(7, in: base..<(base + 3600)))
        // Moving on refreezes the thawed pages; the cells stay the same.
        for s in 300..<400 as Range<Int64> {
            let ms = (base + s) * 1000 + 250
            #expect(head.put(series: 7, timestampMs: ms, valueBits: UInt64(s)) == reference.put(series: 7, timestampMs: ms, bits: UInt64(s)))
        }
        #expect(headCells(head, 7, in: base..<(base + 3600)) == reference.ordered(7, in: base..<(base + 3600)))
        #expect(headCells(head, 7, in: (base + 60)..<(base + 130)) == reference.ordered(7, in: (base + 60)..<(base + 130)))
        #expect(head.sampleCount == 400)
    }

    @Test(arguments: [false, true])
    func randomWritesMatchTheReference(spilling: Bool) {
        var rng = SplitMix(state: 11)
        let spillDirectory = spilling ? makeTempDirectory() : nil
        let head = Head(span: 600, spillDirectory: spillDirectory)
        var reference = ReferenceHead()
        var newest = base
        for step in 0..<40_000 {
            let series = UInt32.random(in: 0..<20, using: &rng)
            // Mostly moving forward, sometimes far back (late), sometimes the same second.
            let second: Int64
            switch Int.random(in: 0..<10, using: &rng) {
            case 0: second = max(base, newest - Int64.random(in: 0..<500, using: &rng))
            case 1: second = newest
            default:
                newest += Int64.random(in: 0...1, using: &rng)
                second = newest
            }
            let ms = second * 1000 + Int64.random(in: 0..<1000, using: &rng)
            let bits = Int.random(in: 0..<4, using: &rng) == 0 ? awkwardBits.randomElement(using: &rng)! : UInt64.random(in: .min ... .max, using: &rng)
            let collided = head.put(series: series, timestampMs: ms, valueBits: bits)
            #expect(collided == reference.put(series: series, timestampMs: ms, bits: bits))
            if step % 997 == 0 { head.freezeIdle(newestSecond: newest) }
        }
        let all = base..<(newest + 1)
        var total = 0
        for series in 0..<20 as Range<UInt32> {
            #expect(headCells(head, series, in: all) == reference.ordered(series, in: all))
            let from = base + Int64.random(in: 0..<400, using: &rng)
            let window = from..<(from + Int64.random(in: 1..<300, using: &rng))
            #expect(headCells(head, series, in: window) == reference.ordered(series, in: window))
            total += reference.cells[series]?.count ?? 0
        }
        #expect(head.sampleCount == total)
        if spilling { #expect(head.spilledBytes > 0) }
    }

    @Test func spilledPagesReadBackThawAndVanishWithTheSegment() throws {
        let dir = makeTempDirectory()
        var head: Head? = Head(span: 3600, spillDirectory: dir)
        var reference = ReferenceHead()
        func put(_ series: UInt32, _ ms: Int64, _ bits: UInt64) {
            #expect(head!.put(series: series, timestampMs: ms, valueBits: bits) == reference.put(series: series, timestampMs: ms, bits: bits))
        }
        for s in 0..<400 as Range<Int64> {
            for series in 0..<50 as Range<UInt32> {
                put(series, (base + s) * 1000 + Int64(series), (Double(series) * 10 + Double(s) * 0.75).bitPattern)
            }
            head!.freezeIdle(newestSecond: base + s)  // spills once per page length
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(files == ["\(base).pages"])
        #expect(head!.spilledBytes > 0)
        // In memory: about one dense page per series plus what froze since the last sweep.
        #expect(head!.bytes < 50 * (DensePage.byteCount + 1024))
        // Late writes into spilled pages thaw them from the file.
        for (series, s) in [(3, 10), (3, 11), (4, 200), (49, 63), (49, 64)] as [(UInt32, Int64)] {
            put(series, (base + s) * 1000 + 999, 0x7FF0_0000_0000_0002)
        }
        for s in 400..<700 as Range<Int64> {
            put(3, (base + s) * 1000, UInt64(s))
            head!.freezeIdle(newestSecond: base + s)
        }
        for series in 0..<50 as Range<UInt32> {
            #expect(headCells(head!, series, in: base..<(base + 3600)) == reference.ordered(series, in: base..<(base + 3600)))
        }
        #expect(headCells(head!, 3, in: (base + 5)..<(base + 70)) == reference.ordered(3, in: (base + 5)..<(base + 70)))
        // The spill file lives as long as the segment buffer.
        var detached = head!.detachAll()
        head = nil
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["\(base).pages"])
        detached.removeAll()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func idleSeriesIsFrozenAndThawsOnAWrite() {
        let head = Head(span: 3600)
        var reference = ReferenceHead()
        for s in 0..<100 as Range<Int64> {
            for series in 0..<2 as Range<UInt32> {
                let ms = (base + s) * 1000
                _ = head.put(series: series, timestampMs: ms, valueBits: UInt64(s))
                _ = reference.put(series: series, timestampMs: ms, bits: UInt64(s))
            }
        }
        let before = head.bytes
        // Series 1 stops at second 99; series 0 goes on past `Head.idleSeconds`. The sweep
        // freezes series 1's page.
        for s in 100..<500 as Range<Int64> {
            _ = head.put(series: 0, timestampMs: (base + s) * 1000, valueBits: UInt64(s))
            _ = reference.put(series: 0, timestampMs: (base + s) * 1000, bits: UInt64(s))
        }
        // The sweep frees series 1's dense page (its frozen copy costs a few bytes).
        let beforeSweep = head.bytes
        head.freezeIdle(newestSecond: base + 499)
        #expect(head.bytes <= beforeSweep - DensePage.byteCount / 2)
        #expect(head.bytes < before + 3 * DensePage.byteCount)  // + series 0's 400 s, frozen
        // A write into the frozen last page of series 1 thaws it and then continues in order.
        for s in [99, 100, 101] as [Int64] {
            let ms = (base + s) * 1000 + 5
            #expect(head.put(series: 1, timestampMs: ms, valueBits: 77) == reference.put(series: 1, timestampMs: ms, bits: 77))
        }
        for series in 0..<2 as Range<UInt32> {
            #expect(headCells(head, series, in: base..<(base + 3600)) == reference.ordered(series, in: base..<(base + 3600)))
        }
    }

    @Test func seriesOfALaggingSenderAreNotTakenForStopped() {
        // Series 0 is sent in step with the newest second; series 1 by a sender two
        // minutes behind. The sweeps must leave series 1's page dense (nothing frozen or
        // spilled for it but the pages it moved on from), and a series that really
        // stopped is frozen once it is `Head.idleSeconds` behind.
        let dir = makeTempDirectory()
        let head = Head(span: 3600, spillDirectory: dir)
        var reference = ReferenceHead()
        // Sweeps run every `Head.sweepSeconds` from second 0; the loop ends on one (576).
        for s in 0...576 as ClosedRange<Int64> {
            for (series, second) in [(UInt32(0), s), (UInt32(1), s - 120), (UInt32(2), min(s, 50))] where second >= 0 {
                let ms = (base + second) * 1000
                _ = head.put(series: series, timestampMs: ms, valueBits: UInt64(second))
                _ = reference.put(series: series, timestampMs: ms, bits: UInt64(second))
            }
            head.freezeIdle(newestSecond: base + s)
        }
        // Dense: series 0 and 1 (writing), not series 2 (stopped at 50, 526 s before).
        #expect(head.segments[base]!.denseSeries == 2)
        for series in 0..<3 as Range<UInt32> {
            #expect(headCells(head, series, in: base..<(base + 3600)) == reference.ordered(series, in: base..<(base + 3600)))
        }
    }

    @Test func copyCellsFillsOnlyPresentSeconds() {
        let segment = SegmentBuffer(start: base, span: 3600)
        for s in stride(from: 0, to: 600, by: 3) as StrideTo<Int64> {
            _ = segment.put(series: 2, second: base + s, tag: UInt16(s % 1000) + 1, valueBits: UInt64(s) << 20)
        }
        let rows = 200
        let values = UnsafeMutablePointer<UInt64>.allocate(capacity: rows)
        let tags = UnsafeMutablePointer<UInt16>.allocate(capacity: rows)
        defer {
            values.deallocate()
            tags.deallocate()
        }
        values.initialize(repeating: 9, count: rows)
        tags.initialize(repeating: 0, count: rows)
        segment.copyCells(of: 2, seconds: (base + 100)..<(base + 300), values: values, tags: tags)
        for r in 0..<rows {
            let s = 100 + r
            if s % 3 == 0 {
                #expect(tags[r] == UInt16(s % 1000) + 1)
                #expect(values[r] == UInt64(s) << 20)
            } else {
                #expect(tags[r] == 0)
                #expect(values[r] == 9)
            }
        }
        #expect(segment.sampleCount(of: 2) == 200)
        #expect(segment.sampleCount(of: 3) == 0)
    }

    @Test func steadySeriesCostFarLessThanDenseColumns() {
        // 1000 series × 600 s of counters, one sample a second: the dense head held 36 KiB
        // per series per open segment; paged and frozen it must stay under 2 KiB.
        let head = Head(span: 3600)
        for s in 0..<600 as Range<Int64> {
            for series in 0..<1000 as Range<UInt32> {
                let v = Double(series) * 1e4 + Double(s) * (1 + Double(series % 9))
                head.put(series: series, timestampMs: (base + s) * 1000, valueBits: v.bitPattern)
            }
        }
        #expect(head.sampleCount == 600_000)
        #expect(head.bytes / 1000 < 2048)
    }
}

@Suite struct HeadStoreTests {
    /// Late writes into frozen pages, read back through remote read before sealing and
    /// from the Parquet segment after: both equal the reference.
    @Test func lateWritesSurviveReadAndSeal() throws {
        let dir = makeTempDirectory()
        let store = try Store(config: testConfig(dir), logger: quietLogger)
        store.start()
        var reference = ReferenceHead()
        let labels = [(name: "__name__", value: "paged"), (name: "job", value: "x")]
        var samples: [(timestampMs: Int64, value: Double)] = []
        for s in 0..<300 as Range<Int64> { samples.append((t0 + s * 1000, Double(s) * 1.25)) }
        // Late ones, after the series moved on: later ms in second 5, a new value in a gap
        // made below, a stale marker.
        samples.append((t0 + 5 * 1000 + 500, -7))
        samples.append((t0 + 150 * 1000 + 1, Double(bitPattern: 0x7FF0_0000_0000_0002)))
        samples.remove(at: 40)  // second 40 absent...
        samples.append((t0 + 40 * 1000 + 999, 0.5))  // ...until written late
        for (i, chunk) in stride(from: 0, to: samples.count, by: 50).map({ Array(samples[$0..<min($0 + 50, samples.count)]) }).enumerated() {
            _ = i
            try appendDurably(store, batch([(labels, chunk)]))
            for s in chunk { _ = reference.put(series: 0, timestampMs: s.timestampMs, bits: s.value.bitPattern) }
        }
        let expected = reference.ordered(0, in: Int64.min..<Int64.max)
        let read = try store.select([LabelMatcher(.equal, "job", "x")], fromMs: t0, toMs: t0 + 400_000)
        #expect(read.count == 1)
        #expect(read.first?.timestampsMs == expected.map { $0.second * 1000 })
        #expect(read.first?.valueBits == expected.map(\.bits))
        store.close()
        let sealed = try readSegments(dir)["paged{job=\"x\"}"] ?? [:]
        #expect(sealed.count == expected.count)
        for c in expected { #expect(sealed[c.second] == c.bits) }
    }
}

/// What each active series costs the head in fixed parts besides the dense page and the
/// 56-byte column object: the cursor and the frozen-page store.
@Suite struct HeadFootprintTests {
    @Test func perSeriesFixedParts() {
        #expect(MemoryLayout<ColumnCursor>.stride == 24)
        #expect(MemoryLayout<FrozenPages>.size == 16)
    }
}
