/// Encodes column chunks page by page and streams them to the file. One
/// instance serves every column of a file so its page buffers are reused.
final class ColumnChunkWriter {
    let output: FileOutput
    let codec: Int32
    let maxPageBytes: Int
    let doubleEncoding: ParquetDoubleEncoding
    var body: [UInt8] = []
    /// The present values of the integer column being written, converted by
    /// `holdsOnlyIntegers` (ColumnChunkWriter+Integers.swift).
    var integers = ConvertedIntegers()
    private var compressed: [UInt8] = []
    /// Present values of a page with gaps, gathered for BYTE_STREAM_SPLIT.
    private var gathered = UnsafeMutablePointer<UInt64>.allocate(capacity: 0)
    private var gatheredCapacity = 0
    private var header = ThriftCompactWriter(capacity: 64)

    init(output: FileOutput, codec: ParquetCodec, maxPageBytes: Int, doubleEncoding: ParquetDoubleEncoding = .plain) {
        self.output = output
        self.doubleEncoding = doubleEncoding
        self.codec = codec == .snappy ? CompressionCodec.snappy : CompressionCodec.uncompressed
        self.maxPageBytes = maxPageBytes
    }

    deinit {
        gathered.deallocate()
        integers.deallocate()
    }

    private func gatherScratch(_ count: Int) -> UnsafeMutablePointer<UInt64> {
        if count > gatheredCapacity {
            gathered.deallocate()
            gathered = .allocate(capacity: count)
            gatheredCapacity = count
        }
        return gathered
    }

    /// Starts an OPTIONAL column's page in `body`: the v1 definition levels of `rows`
    /// (a 4-byte little-endian length, then the width-1 RLE hybrid). The values follow.
    /// `present`, when the caller has counted them, is the rows present: a page wholly
    /// present or wholly absent (a sealed column usually is) is then one run, written
    /// without looking at the rows.
    func startOptionalPage(_ presence: UnsafeBufferPointer<UInt16>, _ rows: Range<Int>, present: Int? = nil) {
        body.removeAll(keepingCapacity: true)
        body.append(contentsOf: [0, 0, 0, 0])
        if let present, rows.count >= RLEHybrid.shortestRun, present == rows.count || present == 0 {
            // What `encodePresence` writes for a run of the whole page.
            RLEHybrid.appendRun(length: rows.count, level: present == 0 ? 0 : 1, into: &body)
        } else {
            RLEHybrid.encodePresence(presence, rows, into: &body)
        }
        let levelBytes = UInt32(body.count - 4)
        body.withUnsafeMutableBytes { $0.storeBytes(of: levelBytes.littleEndian, toByteOffset: 0, as: UInt32.self) }
    }

    /// Compresses `body` and writes header + body. Returns the page's sizes
    /// *including* its header, which is what the chunk totals must count.
    func flushPage(numValues: Int, encoding: Int32) throws -> (uncompressed: Int64, compressed: Int64) {
        var stored = body.count
        if codec == CompressionCodec.snappy {
            SnappyBlock.compress(body, into: &compressed)
            stored = compressed.count
        }
        guard body.count <= Int32.max, stored <= Int32.max, numValues <= Int32.max else {
            throw ParquetError(.invalidArgument, path: output.path, "page too large")
        }
        encodeDataPageHeader(
            &header, uncompressedSize: Int32(body.count), compressedSize: Int32(stored),
            numValues: Int32(numValues), encoding: encoding)
        try output.write(header.bytes)
        try output.write(codec == CompressionCodec.snappy ? compressed : body)
        return (Int64(header.bytes.count + body.count), Int64(header.bytes.count + stored))
    }

    /// The REQUIRED INT64 timestamp column, DELTA_BINARY_PACKED. Each page is a
    /// self-contained delta stream (its own header and first value).
    func writeTimestamps(_ timestamps: [Int64], name: String) throws -> ChunkSummary {
        let start = output.position
        let pageRows = max(1, maxPageBytes / DeltaBinaryPacked.maxBytesPerValue)
        var uncompressed: Int64 = 0
        var stored: Int64 = 0
        var row = 0
        try timestamps.withUnsafeBufferPointer { all in
            repeat {
                let end = min(all.count, row + pageRows)
                body.removeAll(keepingCapacity: true)
                DeltaBinaryPacked.encode(UnsafeBufferPointer(rebasing: all[row..<end]), into: &body)
                let sizes = try flushPage(numValues: end - row, encoding: Encoding.deltaBinaryPacked)
                uncompressed += sizes.uncompressed
                stored += sizes.compressed
                row = end
            } while row < all.count
        }
        var stats = ChunkStatistics()
        if let lo = timestamps.min(), let hi = timestamps.max() {
            stats.minValue = plainBytes(UInt64(bitPattern: lo))
            stats.maxValue = plainBytes(UInt64(bitPattern: hi))
        }
        return ChunkSummary(
            physicalType: PhysicalType.int64, encodings: ChunkSummary.deltaEncodings, name: name,
            codec: codec, numValues: Int64(timestamps.count), totalUncompressedSize: uncompressed,
            totalCompressedSize: stored, dataPageOffset: start, statistics: stats)
    }

    /// An OPTIONAL DOUBLE column: per page, a 4-byte length + width-1 RLE hybrid
    /// definition levels, then the bit patterns of the present rows only, PLAIN or
    /// BYTE_STREAM_SPLIT (`doubleEncoding`).
    func writeDoubles(_ column: ParquetDoubleColumn, rowCount: Int) throws -> (ChunkSummary, nonNull: Int) {
        let start = output.position
        let valueEncoding = doubleEncoding == .plain ? Encoding.plain : Encoding.byteStreamSplit
        let presence = column.presence
        let values = column.values
        var stats = DoubleStats()
        var uncompressed: Int64 = 0
        var stored: Int64 = 0
        // Cut each page before its body could pass the limit: 8 bytes per present value
        // plus a bound on the levels (≤ 2 bytes per 8 rows).
        func fits(values: Int, rows: Int) -> Bool { 8 * values + rows / 4 + 16 <= maxPageBytes }
        // The usual case, a column far below a page, is one page (the row-by-row cut
        // would make the same, as its bound only grows): the count is one vectorized pass.
        let total = Self.countPresent(presence, rowCount: rowCount)
        let onePage = fits(values: total, rows: rowCount)
        var row = 0
        repeat {
            let pageStart = row
            var present = 0
            if onePage {
                present = total
                row = rowCount
            } else {
                while row < rowCount {
                    let p = presence[row] != 0 ? 1 : 0
                    if row > pageStart && !fits(values: present + p, rows: row + 1 - pageStart) { break }
                    present += p
                    row += 1
                }
            }
            startOptionalPage(presence, pageStart..<row, present: present)
            let valuesStart = body.count
            body.append(contentsOf: repeatElement(0, count: 8 * present))
            // One loop per encoding, over raw pointers: this runs for every sealed sample.
            body.withUnsafeMutableBytes { raw in
                let out = raw.baseAddress! + valuesStart
                var j = 0
                switch doubleEncoding {
                case .plain:
                    for r in pageStart..<row where presence[r] != 0 {
                        let bits = values[r]
                        out.storeBytes(of: bits.littleEndian, toByteOffset: 8 * j, as: UInt64.self)
                        j += 1
                        stats.add(bits)
                    }
                case .byteStreamSplit:
                    // Byte k of value j goes to stream k: out[k * present + j]. The present
                    // values are gathered first (a sealed column is usually all present, and
                    // then they are used where they lie), then each stream is written in a
                    // loop of its own: sequential stores the compiler vectorizes, where a
                    // scatter of 8 single bytes per value was most of this function's time.
                    let streams = out.assumingMemoryBound(to: UInt8.self)
                    let dense: UnsafePointer<UInt64>
                    if present > 0 && present == row - pageStart {
                        dense = values.baseAddress! + pageStart
                    } else {
                        let gathered = gatherScratch(present)
                        for r in pageStart..<row where presence[r] != 0 {
                            gathered[j] = values[r]
                            j += 1
                        }
                        dense = UnsafePointer(gathered)
                    }
                    stats.add(dense, count: present)
                    for k in 0..<8 {
                        let stream = streams + k * present
                        let shift = 8 * UInt64(k)
                        for i in 0..<present { stream[i] = UInt8(truncatingIfNeeded: dense[i] >> shift) }
                    }
                }
            }
            let sizes = try flushPage(numValues: row - pageStart, encoding: valueEncoding)
            uncompressed += sizes.uncompressed
            stored += sizes.compressed
        } while row < rowCount
        let summary = ChunkSummary(
            physicalType: PhysicalType.double,
            encodings: doubleEncoding == .plain ? ChunkSummary.plainEncodings : ChunkSummary.byteStreamSplitEncodings, name: column.name,
            codec: codec, numValues: Int64(rowCount), totalUncompressedSize: uncompressed,
            totalCompressedSize: stored, dataPageOffset: start,
            statistics: stats.finish(nullCount: Int64(rowCount - stats.count)))
        return (summary, stats.count)
    }
}

extension ColumnChunkWriter {
    /// Rows of `presence` that are present, in a loop the compiler vectorizes.
    static func countPresent(_ presence: UnsafeBufferPointer<UInt16>, rowCount: Int) -> Int {
        var n = 0
        for r in 0..<rowCount { n &+= presence[r] != 0 ? 1 : 0 }
        return n
    }
}

/// Min/max/NaN tracking with the TYPE_ORDER rules for doubles.
struct DoubleStats {
    var count = 0
    var nanCount: Int64 = 0
    var min = Double.infinity
    var max = -Double.infinity
    var hasMinMax = false

    @inline(__always)
    mutating func add(_ bits: UInt64) {
        count += 1
        let v = Double(bitPattern: bits)
        // NaN has no place in an order, so it goes into nan_count only; a NaN
        // min/max would make readers prune (or keep) row groups wrongly.
        if v.isNaN {
            nanCount += 1
            return
        }
        hasMinMax = true
        if v < min { min = v }
        if v > max { max = v }
    }

    /// `add` for each of `count` values, in a loop without branches: a NaN compares false
    /// both ways, so the selects leave min and max as they were, as `add` does. Four
    /// lanes of minimum, maximum and NaN count, merged at the end, so that each select
    /// does not wait for the previous one (one chain was ~5 % of a seal in perf). Merging
    /// lanes changes which of two equal values is kept, so only +0 and −0 could differ,
    /// and `finish` sets both zeros' signs.
    mutating func add(_ values: UnsafePointer<UInt64>, count n: Int) {
        var nans = (0, 0, 0, 0)
        var lo = (min, min, min, min)
        var hi = (max, max, max, max)
        @inline(__always) func lane(_ bits: UInt64, _ nan: inout Int, _ l: inout Double, _ h: inout Double) {
            let v = Double(bitPattern: bits)
            nan &+= v.isNaN ? 1 : 0
            l = v < l ? v : l
            h = v > h ? v : h
        }
        var i = 0
        while i &+ 4 <= n {
            lane(values[i], &nans.0, &lo.0, &hi.0)
            lane(values[i &+ 1], &nans.1, &lo.1, &hi.1)
            lane(values[i &+ 2], &nans.2, &lo.2, &hi.2)
            lane(values[i &+ 3], &nans.3, &lo.3, &hi.3)
            i &+= 4
        }
        while i < n {
            lane(values[i], &nans.0, &lo.0, &hi.0)
            i &+= 1
        }
        let nanTotal = nans.0 + nans.1 + nans.2 + nans.3
        lo.0 = Swift.min(Swift.min(lo.0, lo.1), Swift.min(lo.2, lo.3))
        hi.0 = Swift.max(Swift.max(hi.0, hi.1), Swift.max(hi.2, hi.3))
        count += n
        nanCount += Int64(nanTotal)
        if n > nanTotal { hasMinMax = true }
        min = lo.0
        max = hi.0
    }

    func finish(nullCount: Int64) -> ChunkStatistics {
        var s = ChunkStatistics(nullCount: nullCount, nanCount: nanCount)
        if hasMinMax {
            // -0.0 == +0.0 compares equal, so which zero was seen first is an
            // accident; the spec fixes min to -0.0 and max to +0.0.
            let lo = min == 0 ? -0.0 : min
            let hi = max == 0 ? 0.0 : max
            s.minValue = plainBytes(lo.bitPattern)
            s.maxValue = plainBytes(hi.bitPattern)
        }
        return s
    }
}

/// PLAIN encoding of an 8-byte value: little-endian.
func plainBytes(_ bits: UInt64) -> [UInt8] {
    (0..<8).map { UInt8(truncatingIfNeeded: bits >> (8 * UInt64($0))) }
}
