import Testing
@testable import SeismoParquet

/// The fused check-and-convert of INT64 columns (`holdsOnlyIntegers` filling
/// `integerScratch`, `writeIntegers` reading it) writes byte for byte what the two-pass
/// version it replaced wrote. That version is kept below as the oracle.
@Suite struct IntegerColumnEquivalenceTests {
    /// Edge values for the whole-number check.
    static let edges: [Double] = [
        0, -0.0, 1, -1, 0.5, -0.5, 1.5, -2.5, 9_007_199_254_740_992, -9_007_199_254_740_992,
        9_007_199_254_740_994, -9_007_199_254_740_994, 9_007_199_254_740_991, 4_503_599_627_370_495.5,
        .infinity, -.infinity, .nan, Double(bitPattern: staleMarker), .leastNonzeroMagnitude,
        -.leastNonzeroMagnitude, .greatestFiniteMagnitude, 9.223372036854775807e18, 1e300, 123_456_789_012,
    ]

    @Test func wholeNumberCheckMatchesTheReference() {
        for v in Self.edges {
            let column = OwnedColumn(name: "c", cells: [Double(1).bitPattern, v.bitPattern, Double(2).bitPattern])
            column.withBorrowed { borrowed in
                let writer = ColumnChunkWriter(output: FileOutput(name: "x") { _ in }, codec: .snappy, maxPageBytes: 1 << 20)
                #expect(writer.holdsOnlyIntegers(borrowed, rowCount: 3) == referenceHoldsOnlyIntegers(borrowed, rowCount: 3), "\(v)")
            }
        }
    }

    @Test(arguments: [300, 512, 4096, ParquetWriter.defaultMaxPageBytes])
    func fusedWriteMatchesTheReference(maxPageBytes: Int) throws {
        var columns = realisticColumns(rows: 3600, count: 40, seed: 7)
        columns.append(OwnedColumn(name: "sparse", cells: (0..<3600).map { $0 % 7 == 0 ? Double($0 * 3).bitPattern : nil }))
        columns.append(OwnedColumn(name: "one", cells: (0..<3600).map { $0 == 1234 ? Double(42).bitPattern : nil }))
        var compared = 0
        for column in columns {
            try column.withBorrowed { borrowed in
                var fused: [UInt8] = []
                var reference: [UInt8] = []
                let fusedOut = FileOutput(name: "fused") { fused.append(contentsOf: $0) }
                let referenceOut = FileOutput(name: "reference") { reference.append(contentsOf: $0) }
                let fusedWriter = ColumnChunkWriter(output: fusedOut, codec: .snappy, maxPageBytes: maxPageBytes)
                let referenceWriter = ColumnChunkWriter(output: referenceOut, codec: .snappy, maxPageBytes: maxPageBytes)
                let whole = fusedWriter.holdsOnlyIntegers(borrowed, rowCount: 3600)
                #expect(whole == referenceHoldsOnlyIntegers(borrowed, rowCount: 3600))
                guard whole else { return }
                let (a, aCount) = try fusedWriter.writeIntegers(borrowed, rowCount: 3600)
                let (b, bCount) = try referenceWriter.referenceWriteIntegers(borrowed, rowCount: 3600)
                try fusedOut.finish(fsync: false)
                try referenceOut.finish(fsync: false)
                #expect(fused == reference, "\(column.name)")
                #expect(aCount == bCount)
                #expect(a.totalCompressedSize == b.totalCompressedSize && a.totalUncompressedSize == b.totalUncompressedSize)
                #expect(a.statistics.minValue == b.statistics.minValue && a.statistics.maxValue == b.statistics.maxValue)
                #expect(a.statistics.nullCount == b.statistics.nullCount)
                compared += 1
            }
        }
        #expect(compared > 10)
    }
}

extension OwnedColumn {
    func withBorrowed<T>(_ body: (ParquetDoubleColumn) throws -> T) rethrows -> T {
        try values.withUnsafeBufferPointer { v in
            try presence.withUnsafeBufferPointer { p in
                try body(ParquetDoubleColumn(name: name, values: v, presence: p))
            }
        }
    }
}

/// The check as it was before the fusion.
private func referenceHoldsOnlyIntegers(_ column: ParquetDoubleColumn, rowCount: Int) -> Bool {
    var any = false
    for r in 0..<rowCount where column.presence[r] != 0 {
        let bits = column.values[r]
        let v = Double(bitPattern: bits)
        guard v.rounded(.towardZero) == v, abs(v) <= ColumnChunkWriter.exactIntegerLimit, bits != (-0.0 as Double).bitPattern else {
            return false
        }
        any = true
    }
    return any
}

extension ColumnChunkWriter {
    /// `writeIntegers` as it was before the fusion: converts each page's values itself.
    fileprivate func referenceWriteIntegers(_ column: ParquetDoubleColumn, rowCount: Int) throws -> (ChunkSummary, nonNull: Int) {
        let start = output.position
        let presence = column.presence
        let values = column.values
        var lo = Int64.max
        var hi = Int64.min
        var count = 0
        var uncompressed: Int64 = 0
        var stored: Int64 = 0
        var row = 0
        var scratch: [Int64] = []
        repeat {
            let pageStart = row
            scratch.removeAll(keepingCapacity: true)
            while row < rowCount {
                let p = presence[row] != 0 ? 1 : 0
                if row > pageStart && DeltaBinaryPacked.maxBytesPerValue * (scratch.count + p) + (row + 1 - pageStart) / 4 + 64 > maxPageBytes {
                    break
                }
                if p != 0 {
                    let v = Int64(Double(bitPattern: values[row]))
                    scratch.append(v)
                    lo = Swift.min(lo, v)
                    hi = Swift.max(hi, v)
                }
                row += 1
            }
            count += scratch.count
            startOptionalPage(presence, pageStart..<row)
            scratch.withUnsafeBufferPointer { DeltaBinaryPacked.encode($0, into: &body) }
            let sizes = try flushPage(numValues: row - pageStart, encoding: Encoding.deltaBinaryPacked)
            uncompressed += sizes.uncompressed
            stored += sizes.compressed
        } while row < rowCount
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
