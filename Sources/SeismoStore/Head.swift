/// The open (unsealed) part of the store: per-second cells of every series, in memory.
///
/// Seconds are grouped by the segment they will be sealed into. Each series column of
/// a segment holds one 8-byte value and a 2-byte tag per second; the tag is the
/// sample's millisecond within the second plus one (0 = no sample), which is what
/// "the later timestamp wins" needs when two samples land in the same second.
final class Head {
    let span: Int64
    private(set) var segments: [Int64: SegmentBuffer] = [:]
    private var lastSegment: SegmentBuffer?

    init(span: Int64) {
        self.span = span
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
        let segment: SegmentBuffer
        if let last = lastSegment, second >= last.start, second < last.start + span {
            segment = last
        } else {
            let start = segmentStart(of: second)
            if let s = segments[start] {
                segment = s
            } else {
                segment = SegmentBuffer(start: start, span: span)
                segments[start] = segment
            }
            lastSegment = segment
        }
        return segment.put(series: series, second: second, tag: tag, valueBits: valueBits)
    }

    /// Removes and returns the segments that end at or before `second` (oldest first).
    func detachSegments(endingAtOrBefore second: Int64) -> [SegmentBuffer] {
        let due = segments.values.filter { $0.start + span <= second }.sorted { $0.start < $1.start }
        for s in due { segments[s.start] = nil }
        if let last = lastSegment, due.contains(where: { $0 === last }) { lastSegment = nil }
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
    var bytes: Int { segments.values.reduce(0) { $0 + $1.columnCount } * Int(span) * 10 }
}

/// The cells of one segment-to-be.
final class SegmentBuffer {
    let start: Int64
    let span: Int64
    /// Indexed by series id; nil where the series has no sample in this segment.
    private(set) var columns: [ColumnBuffer?] = []
    private(set) var columnCount = 0
    private(set) var sampleCount = 0
    private(set) var firstSecond = Int64.max
    private(set) var lastSecond = Int64.min

    init(start: Int64, span: Int64) {
        self.start = start
        self.span = span
    }

    @inline(__always)
    func put(series: UInt32, second: Int64, tag: UInt16, valueBits: UInt64) -> Bool {
        let id = Int(series)
        if id >= columns.count {
            columns.append(contentsOf: repeatElement(nil, count: Swift.max(id + 1 - columns.count, columns.count / 2)))
        }
        let column: ColumnBuffer
        if let c = columns[id] {
            column = c
        } else {
            column = ColumnBuffer(span: Int(span))
            columns[id] = column
            columnCount += 1
        }
        let row = Int(second - start)
        let old = column.tags[row]
        if old == 0 {
            column.tags[row] = tag
            column.values[row] = valueBits
            column.count += 1
            sampleCount += 1
            if second < firstSecond { firstSecond = second }
            if second > lastSecond { lastSecond = second }
            return false
        }
        // Same second twice: keep the sample with the later timestamp; on a tie (a
        // retried request) the last write wins, which keeps retries idempotent.
        if tag >= old {
            column.tags[row] = tag
            column.values[row] = valueBits
        }
        return true
    }

    /// Series ids with at least one sample, ascending.
    var seriesIds: [UInt32] {
        var ids: [UInt32] = []
        ids.reserveCapacity(columnCount)
        for (i, c) in columns.enumerated() where c != nil { ids.append(UInt32(i)) }
        return ids
    }

    func column(_ id: UInt32) -> ColumnBuffer? {
        Int(id) < columns.count ? columns[Int(id)] : nil
    }
}

/// One series' cells for one segment: values and "ms + 1" tags (0 = absent).
final class ColumnBuffer {
    let values: UnsafeMutableBufferPointer<UInt64>
    let tags: UnsafeMutableBufferPointer<UInt16>
    var count = 0

    init(span: Int) {
        values = .allocate(capacity: span)
        values.initialize(repeating: 0)
        tags = .allocate(capacity: span)
        tags.initialize(repeating: 0)
    }

    deinit {
        values.deallocate()
        tags.deallocate()
    }
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
