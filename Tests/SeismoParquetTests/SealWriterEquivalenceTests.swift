import Foundation
import Testing
@testable import SeismoParquet
import SeismoTestSupport

/// The seal's writer paths made faster (one-page columns without the row-by-row cut,
/// whole-page presence runs, branch-free double statistics, the pointer-based delta
/// coder, columns filled one at a time) write byte for byte what the code they replaced
/// wrote. That code is kept below as the oracle.
@Suite struct SealWriterEquivalenceTests {
    static func columns() -> [OwnedColumn] {
        var columns = realisticColumns(rows: 3600, count: 40, seed: 11)
        var rng = SplitMix(state: 5)
        let special: [UInt64] = [staleMarker, Double.nan.bitPattern, Double.infinity.bitPattern, (-Double.infinity).bitPattern,
                                 (-0.0 as Double).bitPattern, (0.0 as Double).bitPattern, Double(-3.5).bitPattern]
        columns.append(OwnedColumn(name: "sparse", cells: (0..<3600).map { $0 % 7 == 0 ? Double($0 * 3).bitPattern : nil }))
        columns.append(OwnedColumn(name: "one", cells: (0..<3600).map { $0 == 1234 ? Double(42).bitPattern : nil }))
        columns.append(OwnedColumn(name: "none", cells: [UInt64?](repeating: nil, count: 3600)))
        columns.append(OwnedColumn(name: "special", cells: (0..<3600).map { _ in special.randomElement(using: &rng)! }))
        columns.append(OwnedColumn(name: "all_nan", cells: [UInt64?](repeating: Double.nan.bitPattern, count: 3600)))
        columns.append(OwnedColumn(name: "zeros", cells: (0..<3600).map { $0 % 2 == 0 ? (-0.0 as Double).bitPattern : 0 }))
        columns.append(OwnedColumn(name: "scattered", cells: (0..<3600).map { _ in
            rng.next() % 3 == 0 ? nil : rng.unit().bitPattern
        }))
        columns.append(OwnedColumn(name: "late", cells: (0..<3600).map { $0 < 1000 ? nil : (Double($0) * 0.25).bitPattern }))
        return columns
    }

    @Test(arguments: [300, 512, 4096, ParquetWriter.defaultMaxPageBytes])
    func doublesMatchTheReference(maxPageBytes: Int) throws {
        for encoding in [ParquetDoubleEncoding.plain, .byteStreamSplit] {
            for column in Self.columns() {
                try column.withBorrowed { borrowed in
                    var fast: [UInt8] = []
                    var reference: [UInt8] = []
                    let fastOut = FileOutput(name: "fast") { fast.append(contentsOf: $0) }
                    let referenceOut = FileOutput(name: "reference") { reference.append(contentsOf: $0) }
                    let fastWriter = ColumnChunkWriter(output: fastOut, codec: .snappy, maxPageBytes: maxPageBytes, doubleEncoding: encoding)
                    let referenceWriter = ColumnChunkWriter(output: referenceOut, codec: .snappy, maxPageBytes: maxPageBytes, doubleEncoding: encoding)
                    let (a, aCount) = try fastWriter.writeDoubles(borrowed, rowCount: 3600)
                    let (b, bCount) = try referenceWriter.referenceWriteDoubles(borrowed, rowCount: 3600)
                    try fastOut.finish(fsync: false)
                    try referenceOut.finish(fsync: false)
                    #expect(fast == reference, "\(column.name) \(encoding)")
                    #expect(aCount == bCount)
                    #expect(a.totalCompressedSize == b.totalCompressedSize && a.totalUncompressedSize == b.totalUncompressedSize)
                    #expect(a.statistics.minValue == b.statistics.minValue && a.statistics.maxValue == b.statistics.maxValue,
                            "\(column.name)")
                    #expect(a.statistics.nullCount == b.statistics.nullCount && a.statistics.nanCount == b.statistics.nanCount)
                }
            }
        }
    }

    @Test func wholePageRunsMatchTheRowByRowEncoder() {
        for rows in 0...40 {
            for level: UInt16 in [0, 1, 7] {
                let presence = [UInt16](repeating: level, count: rows)
                let writer = ColumnChunkWriter(output: FileOutput(name: "x") { _ in }, codec: .snappy, maxPageBytes: 1 << 20)
                presence.withUnsafeBufferPointer { p in
                    writer.startOptionalPage(p, 0..<rows)
                    let reference = writer.body
                    writer.startOptionalPage(p, 0..<rows, present: level == 0 ? 0 : rows)
                    #expect(writer.body == reference, "\(rows) rows of \(level)")
                }
            }
        }
    }

    @Test func deltaCoderMatchesTheReference() {
        var rng = SplitMix(state: 21)
        var sequences: [[Int64]] = [[], [5], [Int64.max, Int64.min, 0, -1, Int64.max], secondsTimestamps(3600)]
        for n in [2, 31, 32, 33, 127, 128, 129, 130, 257, 1000, 1291] {
            sequences.append((0..<n).map { _ in Int64(bitPattern: rng.next()) })
            sequences.append((0..<n).map { Int64($0) * 1000 + Int64(rng.next() % 7) })
            var v = Int64(rng.next() % 1_000_000)
            sequences.append((0..<n).map { _ in
                v += Int64(rng.next() % 5000)
                return v
            })
        }
        for width in 1...64 {
            var v: Int64 = 0
            sequences.append((0..<(200 + width)).map { _ in
                v = v &+ Int64(bitPattern: rng.next() >> UInt64(64 - width))
                return v
            })
        }
        for values in sequences {
            var fast: [UInt8] = [9, 9]  // appends after what is there
            var reference: [UInt8] = [9, 9]
            values.withUnsafeBufferPointer {
                DeltaBinaryPacked.encode($0, into: &fast)
                referenceDeltaEncode($0, into: &reference)
            }
            #expect(fast == reference, "\(values.count) values")
        }
    }

    /// A whole file through `write(columnNames:fill:)` is the file `write(columns:)` makes.
    @Test func filledColumnsWriteTheSameFile() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let columns = Self.columns()
        let timestamps = secondsTimestamps(3600)
        for integerColumns in [false, true] {
            for encoding in [ParquetDoubleEncoding.plain, .byteStreamSplit] {
                let a = dir.file("columns.parquet")
                let b = dir.file("filled.parquet")
                let metadata = [("k", "v")]
                try writeColumns(a, timestamps: timestamps, columns: columns, keyValueMetadata: metadata,
                                 doubleEncoding: encoding, integerColumns: integerColumns)
                var asked: [Int] = []
                _ = try ParquetWriter.write(
                    path: b, timestampsMs: timestamps, columnNames: columns.map(\.name),
                    fill: { j, values, presence in
                        asked.append(j)
                        for r in 0..<3600 where columns[j].presence[r] != 0 {
                            values[r] = columns[j].values[r]
                            presence[r] = columns[j].presence[r]
                        }
                    },
                    keyValueMetadata: metadata, createdBy: "seismo-tests", doubleEncoding: encoding,
                    integerColumns: integerColumns, fsync: false)
                #expect(asked == Array(columns.indices))
                #expect(FileManager.default.contents(atPath: a) == FileManager.default.contents(atPath: b),
                        "integers \(integerColumns) \(encoding)")
            }
        }
    }

    @Test func filledColumnsRejectDuplicateNames() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        #expect(throws: ParquetError.self) {
            try ParquetWriter.write(path: dir.file("d.parquet"), timestampsMs: [1000, 2000], columnNames: ["a", "a"],
                                    fill: { _, _, _ in }, keyValueMetadata: [], createdBy: "t", fsync: false)
        }
    }
}

extension ColumnChunkWriter {
    /// `writeDoubles` as it was before: the page cut row by row, presence levels encoded
    /// row by row, statistics value by value.
    fileprivate func referenceWriteDoubles(_ column: ParquetDoubleColumn, rowCount: Int) throws -> (ChunkSummary, nonNull: Int) {
        let start = output.position
        let valueEncoding = doubleEncoding == .plain ? Encoding.plain : Encoding.byteStreamSplit
        let presence = column.presence
        let values = column.values
        var stats = DoubleStats()
        var uncompressed: Int64 = 0
        var stored: Int64 = 0
        var row = 0
        repeat {
            let pageStart = row
            var present = 0
            while row < rowCount {
                let p = presence[row] != 0 ? 1 : 0
                if row > pageStart && 8 * (present + p) + (row + 1 - pageStart) / 4 + 16 > maxPageBytes { break }
                present += p
                row += 1
            }
            startOptionalPage(presence, pageStart..<row)
            var dense: [UInt64] = []
            for r in pageStart..<row where presence[r] != 0 {
                dense.append(values[r])
                stats.add(values[r])
            }
            switch doubleEncoding {
            case .plain:
                for bits in dense { body.append(contentsOf: plainBytes(bits)) }
            case .byteStreamSplit:
                for k in 0..<8 {
                    for bits in dense { body.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(k)))) }
                }
            }
            let sizes = try flushPage(numValues: row - pageStart, encoding: valueEncoding)
            uncompressed += sizes.uncompressed
            stored += sizes.compressed
        } while row < rowCount
        let summary = ChunkSummary(
            physicalType: PhysicalType.double, encodings: [valueEncoding, Encoding.rle], name: column.name,
            codec: codec, numValues: Int64(rowCount), totalUncompressedSize: uncompressed,
            totalCompressedSize: stored, dataPageOffset: start,
            statistics: stats.finish(nullCount: Int64(rowCount - stats.count)))
        return (summary, stats.count)
    }
}

/// `DeltaBinaryPacked.encode` as it was before (arrays, a zero fill per miniblock).
private func referenceDeltaEncode(_ values: UnsafeBufferPointer<Int64>, into out: inout [UInt8]) {
    let blockSize = DeltaBinaryPacked.blockSize
    let miniblocks = DeltaBinaryPacked.miniblocksPerBlock
    let miniblockSize = DeltaBinaryPacked.miniblockSize
    appendVarint(UInt64(blockSize), to: &out)
    appendVarint(UInt64(miniblocks), to: &out)
    appendVarint(UInt64(values.count), to: &out)
    guard let first = values.first else {
        appendZigzag(0, to: &out)
        return
    }
    appendZigzag(first, to: &out)
    var deltas = [Int64](repeating: 0, count: blockSize)
    var widths = [UInt8](repeating: 0, count: miniblocks)
    var i = 1
    while i < values.count {
        let n = min(blockSize, values.count - i)
        var minDelta = Int64.max
        for k in 0..<n {
            let d = values[i + k] &- values[i + k - 1]
            deltas[k] = d
            minDelta = Swift.min(minDelta, d)
        }
        appendZigzag(minDelta, to: &out)
        for m in 0..<miniblocks { widths[m] = 0 }
        for m in 0..<miniblocks where m * miniblockSize < n {
            var bits: UInt64 = 0
            for k in (m * miniblockSize)..<Swift.min(n, (m + 1) * miniblockSize) {
                bits |= UInt64(bitPattern: deltas[k] &- minDelta)
            }
            widths[m] = UInt8(64 - bits.leadingZeroBitCount)
        }
        out.append(contentsOf: widths)
        for k in n..<blockSize { deltas[k] = minDelta }
        for m in 0..<miniblocks where m * miniblockSize < n {
            let width = Int(widths[m])
            if width == 0 { continue }
            // LSB first, bit by bit.
            var packed = [UInt8](repeating: 0, count: miniblockSize * width / 8)
            for k in 0..<miniblockSize {
                let x = UInt64(bitPattern: deltas[m * miniblockSize + k] &- minDelta)
                for b in 0..<width where (x >> UInt64(b)) & 1 == 1 {
                    let bit = k * width + b
                    packed[bit >> 3] |= 1 << UInt8(bit & 7)
                }
            }
            out.append(contentsOf: packed)
        }
        i += n
    }
}
