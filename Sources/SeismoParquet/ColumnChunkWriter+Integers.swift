/// Series columns whose values are all whole numbers, stored as OPTIONAL INT64 with
/// DELTA_BINARY_PACKED values.
///
/// Why: most node_exporter series are integers (bytes, packets, operations, memory and
/// filesystem sizes: 72 % of the samples in the Remote-Write bodies captured from
/// Prometheus 2.42), and a counter's per-second delta needs a handful of bits where a
/// DOUBLE's low mantissa bytes defeat snappy. INT64 is exact in every reader (pyarrow,
/// DuckDB, polars and Spark turn it into the same double when asked), which DECIMAL is
/// not: pyarrow 26 converts DECIMAL(18, 2) to float64 off by one ulp for about one
/// value in eight, so two-decimal series stay DOUBLE.
extension ColumnChunkWriter {
    /// The largest magnitude written as an integer: every integer up to 2^53 is a double
    /// and back without loss, beyond it a double no longer names one integer.
    static let exactIntegerLimit: Double = 9_007_199_254_740_992

    /// Whether every present value of `column` is a whole number an INT64 column holds
    /// exactly: finite, |v| <= 2^53, and not -0.0 (an INT64 zero would lose the sign).
    /// NaN, so also Prometheus' stale marker, keeps the column DOUBLE.
    ///
    /// Keeps the converted present values, their count, minimum and maximum in
    /// `integers` for the `writeIntegers` that follows: the check, the conversion and the
    /// statistics are one pass over the column (the seal runs this for every series
    /// column), written through a pointer (appending to an array cost a capacity check
    /// per value).
    func holdsOnlyIntegers(_ column: ParquetDoubleColumn, rowCount: Int) -> Bool {
        integers.convert(column, rowCount: rowCount)
    }

    /// An OPTIONAL INT64 column: per page, the definition levels as for doubles, then the
    /// present values as one DELTA_BINARY_PACKED stream. The caller has checked the
    /// column with the instance's `holdsOnlyIntegers`, which left the converted present
    /// values in `integers`.
    func writeIntegers(_ column: ParquetDoubleColumn, rowCount: Int) throws -> (ChunkSummary, nonNull: Int) {
        let start = output.position
        let presence = column.presence
        let count = integers.count
        precondition(count > 0 && integers.column == column.values.baseAddress, "writeIntegers without its holdsOnlyIntegers")
        let converted = UnsafeBufferPointer(start: integers.values, count: count)
        var uncompressed: Int64 = 0
        var stored: Int64 = 0
        // Bound the body as the double writer does, at the delta coder's worst case.
        func fits(values: Int, rows: Int) -> Bool { DeltaBinaryPacked.maxBytesPerValue * values + rows / 4 + 64 <= maxPageBytes }
        if fits(values: count, rows: rowCount) {
            // The usual case (a segment's column is far below a page): one page, which
            // the row-by-row cut below would also make, as its bound only grows.
            startOptionalPage(presence, 0..<rowCount, present: count)
            DeltaBinaryPacked.encode(converted, into: &body)
            let sizes = try flushPage(numValues: rowCount, encoding: Encoding.deltaBinaryPacked)
            uncompressed = sizes.uncompressed
            stored = sizes.compressed
        } else {
            var row = 0
            var taken = 0
            repeat {
                let pageStart = row
                let pageFirst = taken
                while row < rowCount {
                    let p = presence[row] != 0 ? 1 : 0
                    if row > pageStart && !fits(values: taken - pageFirst + p, rows: row + 1 - pageStart) { break }
                    taken += p
                    row += 1
                }
                startOptionalPage(presence, pageStart..<row, present: taken - pageFirst)
                DeltaBinaryPacked.encode(UnsafeBufferPointer(rebasing: converted[pageFirst..<taken]), into: &body)
                let sizes = try flushPage(numValues: row - pageStart, encoding: Encoding.deltaBinaryPacked)
                uncompressed += sizes.uncompressed
                stored += sizes.compressed
            } while row < rowCount
            precondition(taken == count, "writeIntegers: presence changed since holdsOnlyIntegers")
        }
        var stats = ChunkStatistics(nullCount: Int64(rowCount - count))
        stats.minValue = plainBytes(UInt64(bitPattern: integers.low))
        stats.maxValue = plainBytes(UInt64(bitPattern: integers.high))
        let summary = ChunkSummary(
            physicalType: PhysicalType.int64, encodings: ChunkSummary.deltaEncodings, name: column.name,
            codec: codec, numValues: Int64(rowCount), totalUncompressedSize: uncompressed,
            totalCompressedSize: stored, dataPageOffset: start, statistics: stats)
        return (summary, count)
    }
}

/// The present values of one column as Int64, with their count, minimum and maximum
/// (`ColumnChunkWriter.holdsOnlyIntegers`). The buffer is reused column after column.
struct ConvertedIntegers {
    private(set) var values = UnsafeMutablePointer<Int64>.allocate(capacity: 0)
    private var capacity = 0
    private(set) var count = 0
    private(set) var low = Int64.max
    private(set) var high = Int64.min
    /// The values buffer of the column converted, to catch a `writeIntegers` of another
    /// column. Only where columns have buffers of their own: `write(columnNames:fill:)`
    /// fills every column into the same one.
    private(set) var column: UnsafePointer<UInt64>?

    func deallocate() { values.deallocate() }

    /// Fills `values` with the present values as Int64 while they pass the check; false
    /// at the first that does not (or when none is present), leaving `count` 0.
    mutating func convert(_ column: ParquetDoubleColumn, rowCount: Int) -> Bool {
        if rowCount > capacity {
            values.deallocate()
            values = .allocate(capacity: rowCount)
            capacity = rowCount
        }
        count = 0
        self.column = nil
        let source = column.values
        let presence = column.presence
        let out = values
        var n = 0
        var lo = Int64.max
        var hi = Int64.min
        for r in 0..<rowCount where presence[r] != 0 {
            let bits = source[r]
            let v = Double(bitPattern: bits)
            // The bound is false for NaN and ±inf, so the conversion that follows cannot
            // trap; it truncates, and the value was whole iff it converts back unchanged
            // (no call to libm's trunc, which `rounded(.towardZero)` was on this target).
            guard v.magnitude <= ColumnChunkWriter.exactIntegerLimit, bits != (-0.0 as Double).bitPattern else { return false }
            let i = Int64(v)
            guard Double(i) == v else { return false }
            out[n] = i
            n += 1
            lo = Swift.min(lo, i)
            hi = Swift.max(hi, i)
        }
        guard n > 0 else { return false }
        count = n
        low = lo
        high = hi
        self.column = source.baseAddress
        return true
    }
}
