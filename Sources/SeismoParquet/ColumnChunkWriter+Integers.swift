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
    /// Keeps the converted present values in `integerScratch` for the `writeIntegers`
    /// that follows: the check and the conversion are one pass over the column, where
    /// they were two (the seal runs this for every series column).
    func holdsOnlyIntegers(_ column: ParquetDoubleColumn, rowCount: Int) -> Bool {
        Self.convertIntegers(column, rowCount: rowCount, into: &integerScratch)
    }

    /// Fills `out` with the present values as Int64 while they pass the check; false at
    /// the first that does not (or when none is present), `out` then holding a prefix.
    private static func convertIntegers(_ column: ParquetDoubleColumn, rowCount: Int, into out: inout [Int64]) -> Bool {
        let values = column.values
        let presence = column.presence
        out.removeAll(keepingCapacity: true)
        out.reserveCapacity(rowCount)
        for r in 0..<rowCount where presence[r] != 0 {
            let bits = values[r]
            let v = Double(bitPattern: bits)
            // The bound is false for NaN and ±inf, so the conversion that follows cannot
            // trap; it truncates, and the value was whole iff it converts back unchanged
            // (no call to libm's trunc, which `rounded(.towardZero)` was on this target).
            guard v.magnitude <= exactIntegerLimit, bits != (-0.0 as Double).bitPattern else { return false }
            let i = Int64(v)
            guard Double(i) == v else { return false }
            out.append(i)
        }
        return !out.isEmpty
    }

    /// An OPTIONAL INT64 column: per page, the definition levels as for doubles, then the
    /// present values as one DELTA_BINARY_PACKED stream. The caller has checked the
    /// column with the instance's `holdsOnlyIntegers`, which left the converted present
    /// values in `integerScratch`.
    func writeIntegers(_ column: ParquetDoubleColumn, rowCount: Int) throws -> (ChunkSummary, nonNull: Int) {
        let start = output.position
        let presence = column.presence
        var lo = Int64.max
        var hi = Int64.min
        var uncompressed: Int64 = 0
        var stored: Int64 = 0
        var row = 0
        var taken = 0
        try integerScratch.withUnsafeBufferPointer { converted in
            repeat {
                // Bound the body as the double writer does, at the delta coder's worst case.
                let pageStart = row
                let pageFirst = taken
                while row < rowCount {
                    let p = presence[row] != 0 ? 1 : 0
                    if row > pageStart && DeltaBinaryPacked.maxBytesPerValue * (taken - pageFirst + p) + (row + 1 - pageStart) / 4 + 64 > maxPageBytes {
                        break
                    }
                    taken += p
                    row += 1
                }
                let page = UnsafeBufferPointer(rebasing: converted[pageFirst..<taken])
                for v in page {
                    lo = Swift.min(lo, v)
                    hi = Swift.max(hi, v)
                }
                startOptionalPage(presence, pageStart..<row)
                DeltaBinaryPacked.encode(page, into: &body)
                let sizes = try flushPage(numValues: row - pageStart, encoding: Encoding.deltaBinaryPacked)
                uncompressed += sizes.uncompressed
                stored += sizes.compressed
            } while row < rowCount
        }
        let count = taken
        precondition(count == integerScratch.count, "writeIntegers without its holdsOnlyIntegers")
        var stats = ChunkStatistics(nullCount: Int64(rowCount - count))
        if count > 0 {
            stats.minValue = plainBytes(UInt64(bitPattern: lo))
            stats.maxValue = plainBytes(UInt64(bitPattern: hi))
        }
        let summary = ChunkSummary(
            physicalType: PhysicalType.int64, encodings: [Encoding.deltaBinaryPacked, Encoding.rle], name: column.name,
            codec: codec, numValues: Int64(rowCount), totalUncompressedSize: uncompressed,
            totalCompressedSize: stored, dataPageOffset: start, statistics: stats)
        return (summary, count)
    }
}
