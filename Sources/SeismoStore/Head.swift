/// The open (unsealed) part of the store: per-second cells of every series, in memory.
///
/// Seconds are grouped by the segment they will be sealed into (`SegmentBuffer`), each
/// holding a paged, mostly compressed column per series (`SeriesColumn`). A cell is an
/// 8-byte value and a 2-byte tag: the sample's millisecond within the second plus one
/// (0 = no sample), which is what "the later timestamp wins" needs when two samples land
/// in the same second.
final class Head {
    let span: Int64
    private(set) var segments: [Int64: SegmentBuffer] = [:]
    /// The segment the last `put` went to, unretained: `segments` owns it, and every path
    /// that removes a segment from there clears this first. Unretained because `put` runs
    /// once per sample and a strong load is an atomic retain/release pair.
    private var lastSegment: Unmanaged<SegmentBuffer>?
    private let context: PageContext
    /// Directory for the segments' spill files (`SpillFile`); nil keeps the head in memory.
    private let spillDirectory: String?
    /// Newest second `freezeIdle` ran for; it runs once per `sweepSeconds` at most.
    private var lastIdleSweep = Int64.min
    /// Each sweep adds a blob per active column to the spill chain that reads walk, so
    /// sweeps are spaced out: 32 s ⇒ ~112 blobs per series in a 1 h segment. Frozen pages
    /// wait in memory until the next sweep, up to 32 s of compressed samples per series.
    static let sweepSeconds: Int64 = 32

    init(span: Int64, spillDirectory: String? = nil) {
        self.span = span
        self.spillDirectory = spillDirectory
        context = PageContext()
    }

    @inline(__always)
    func segmentStart(of second: Int64) -> Int64 {
        second - floorMod(second, span)
    }

    /// Stores one sample. Returns true when the cell already held a sample (a collision).
    @inline(__always)
    @discardableResult
    func put(series: UInt32, timestampMs: Int64, valueBits: UInt64) -> Bool {
        let second = floorDiv(timestampMs, 1000)
        let tag = UInt16(truncatingIfNeeded: timestampMs - second * 1000) + 1
        if let last = lastSegment {
            let hit = last._withUnsafeGuaranteedRef { s -> Bool? in
                guard second >= s.start, second < s.start + span else { return nil }
                return s.put(series: series, second: second, tag: tag, valueBits: valueBits)
            }
            if let hit { return hit }
        }
        let start = segmentStart(of: second)
        let segment: SegmentBuffer
        if let s = segments[start] {
            segment = s
        } else {
            segment = SegmentBuffer(start: start, span: span, context: context,
                                    spillPath: spillDirectory.map { "\($0)/\(start).pages" })
            segments[start] = segment
        }
        lastSegment = Unmanaged.passUnretained(segment)
        return segment.put(series: series, second: second, tag: tag, valueBits: valueBits)
    }

    /// A cache hint for a `put` soon to come (`SegmentBuffer.prefetch`); only looks at the
    /// segment the last put went to, which is the one in-order writes use.
    @inline(__always)
    func prefetch(series: UInt32, timestampMs: Int64) {
        guard let last = lastSegment else { return }
        last._withUnsafeGuaranteedRef { $0.prefetch(series: series, second: floorDiv(timestampMs, 1000)) }
    }

    /// Removes and returns the segments that end at or before `second` (oldest first).
    func detachSegments(endingAtOrBefore second: Int64) -> [SegmentBuffer] {
        let due = segments.values.filter { $0.start + span <= second }.sorted { $0.start < $1.start }
        for s in due { segments[s.start] = nil }
        if let last = lastSegment?.takeUnretainedValue(), due.contains(where: { $0 === last }) { lastSegment = nil }
        return due
    }

    /// Removes and returns every segment (graceful stop).
    func detachAll() -> [SegmentBuffer] {
        let all = segments.values.sorted { $0.start < $1.start }
        segments.removeAll()
        lastSegment = nil
        return all
    }

    /// Non-null cells across the head.
    var sampleCount: Int { segments.values.reduce(0) { $0 + $1.sampleCount } }
    var seriesColumns: Int { segments.values.reduce(0) { $0 + $1.columnCount } }
    var bytes: Int { segments.values.reduce(0) { $0 + $1.bytes } }

    /// How far behind the newest second a series' dense page must end before the sweep
    /// takes the series for stopped: Prometheus' own staleness (5 min). `newestSecond` is
    /// the newest of all senders, and remote-write shards do not move in step: a shard a
    /// minute behind the others is still writing its series, and with a margin of one
    /// page every sweep froze, spilled and then reopened the page each of its series was
    /// writing (the ingest benchmark's streams drift minutes apart; perf put that cycle at
    /// ~10 % of the server's CPU). A stopped series keeps its dense page this much longer.
    static let idleSeconds: Int64 = 300

    /// Freezes the dense pages of series that stopped writing (pages ending `idleSeconds`
    /// or more before `newestSecond`), then moves every frozen page to the spill files
    /// when the head has a spill directory. Cheap to call often: sweeps once per `sweepSeconds`.
    func freezeIdle(newestSecond: Int64) {
        guard newestSecond >= lastIdleSweep &+ Head.sweepSeconds else { return }
        lastIdleSweep = newestSecond
        for segment in segments.values {
            segment.freezeIdle(endingAtOrBefore: newestSecond - Head.idleSeconds)
            segment.spillFrozen()
        }
    }

    /// Bytes in the spill files (disk, not memory).
    var spilledBytes: UInt64 { segments.values.reduce(0) { $0 + $1.spilledBytes } }
}

@inline(__always)
func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

@inline(__always)
func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
    let m = a % b
    return m < 0 ? m + b : m
}
