import Foundation
import Testing
@testable import SeismoParquet
import SeismoTestSupport

@Suite struct RoundTripTests {
    /// Cells that a careless encoder would change: NaN payloads, the stale marker,
    /// infinities, both zeros, the smallest denormal.
    static let specialBits: [UInt64] = [
        Double.nan.bitPattern, staleMarker, 0xFFF8_0000_0000_0001, Double.infinity.bitPattern,
        (-Double.infinity).bitPattern, (-0.0).bitPattern, Double(0).bitPattern, Double.leastNonzeroMagnitude.bitPattern,
    ]

    /// Writes, reopens and checks every cell bit for bit plus the footer counters.
    func check(rows: Int, columns: [OwnedColumn], codec: ParquetCodec = .snappy, encoding: ParquetDoubleEncoding = .plain,
               maxPageBytes: Int = ParquetWriter.defaultMaxPageBytes,
               kv: [(key: String, value: String)] = []) throws -> ParquetFileReader {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = dir.file("t.parquet")
        let ts = secondsTimestamps(rows)
        let result = try writeColumns(path, timestamps: ts, columns: columns, keyValueMetadata: kv, codec: codec,
                                      doubleEncoding: encoding, maxPageBytes: maxPageBytes)
        let reader = try ParquetFileReader(path: path)
        #expect(result.bytes == Int(reader.fileSize))
        #expect(result.nonNullValues == columns.reduce(0) { $0 + $1.nonNull })
        #expect(reader.rowCount == Int64(rows))
        #expect(reader.columns.count == columns.count + 1)
        #expect(reader.columns[0].name == "timestamp")
        #expect(reader.columns[0].physicalType == 2)
        #expect(reader.columns[0].isOptional == false)
        #expect(try reader.readInt64Column(0) == ts)
        for (i, c) in columns.enumerated() {
            let info = reader.columns[i + 1]
            #expect(info.name == c.name)
            #expect(info.isOptional)
            #expect(info.valueCount == Int64(rows))
            #expect(info.nullCount == Int64(rows - c.nonNull))
            let got = try reader.readDoubleColumn(i + 1)
            #expect(got == c.cells, "column \(c.name)")
            // The scatter path (export, window reads) must agree cell for cell.
            let values = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: rows)
            let presence = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: rows)
            defer { values.deallocate(); presence.deallocate() }
            values.initialize(repeating: 0)
            presence.initialize(repeating: 0)
            let stored = try reader.scatterDoubleColumn(i + 1, firstRow: 0, values: values, presence: presence)
            #expect(stored == c.nonNull)
            let scattered = (0..<rows).map { presence[$0] != 0 ? Optional(values[$0]) : nil }
            #expect(scattered == c.cells, "scattered column \(c.name)")
        }
        return reader
    }

    @Test(arguments: [ParquetCodec.snappy, .uncompressed])
    func nullsNaNsInfinitiesAndZeros(codec: ParquetCodec) throws {
        let rows = 3600
        let special = Self.specialBits
        var rng = SplitMix(state: 1)
        let columns = [
            OwnedColumn(name: "long_runs", cells: (0..<rows).map { ($0 / 700) % 2 == 0 ? Double($0).bitPattern : nil }),
            OwnedColumn(name: "scattered", cells: (0..<rows).map { _ in rng.next() % 3 == 0 ? nil : rng.unit().bitPattern }),
            OwnedColumn(name: "all_null", cells: [UInt64?](repeating: nil, count: rows)),
            OwnedColumn(name: "special{a=\"b\",c=\"d\"}", cells: (0..<rows).map { $0 % 11 == 10 ? nil : special[$0 % 11 % special.count] }),
            OwnedColumn(name: "dense", cells: (0..<rows).map { Double($0 * 3).bitPattern }),
        ]
        let reader = try check(rows: rows, columns: columns, codec: codec)
        #expect(reader.columns[1].codec == (codec == .snappy ? 1 : 0))
        // Stats: NaN-free min/max, nan_count, zero signs, absent when all null.
        let specialInfo = reader.columns[4]
        let specialCells = columns[3].cells.compactMap { $0 }
        #expect(specialInfo.nanCount == Int64(specialCells.filter { Double(bitPattern: $0).isNaN }.count))
        #expect(specialInfo.minValue == plainBytes((-Double.infinity).bitPattern))
        #expect(specialInfo.maxValue == plainBytes(Double.infinity.bitPattern))
        #expect(reader.columns[3].minValue == nil && reader.columns[3].maxValue == nil)
        #expect(reader.columns[3].nullCount == Int64(rows))
        #expect(reader.columns[5].minValue == plainBytes((-0.0).bitPattern))  // min 0 is written as -0.0
        #expect(reader.columns[0].minValue == plainBytes(UInt64(bitPattern: secondsTimestamps(rows).first!)))
        #expect(reader.columns[0].maxValue == plainBytes(UInt64(bitPattern: secondsTimestamps(rows).last!)))
    }

    /// Segments are written with BYTE_STREAM_SPLIT values: every kind of cell, several
    /// pages per chunk and both codecs must come back bit for bit through both read paths.
    @Test(arguments: [ParquetCodec.snappy, .uncompressed])
    func byteStreamSplitRoundTrips(codec: ParquetCodec) throws {
        let rows = 86_400
        let special = Self.specialBits
        var rng = SplitMix(state: 5)
        let columns = [
            OwnedColumn(name: "counter", cells: (0..<rows).map { $0 % 5000 < 17 ? nil : (1e6 + Double($0) * 12.375).bitPattern }),
            OwnedColumn(name: "scattered", cells: (0..<rows).map { _ in rng.next() % 3 == 0 ? nil : rng.unit().bitPattern }),
            OwnedColumn(name: "all_null", cells: [UInt64?](repeating: nil, count: rows)),
            OwnedColumn(name: "special", cells: (0..<rows).map { $0 % 11 == 10 ? nil : special[$0 % 11 % special.count] }),
            OwnedColumn(name: "one_value", cells: (0..<rows).map { $0 == 777 ? staleMarker : nil }),
        ]
        let reader = try check(rows: rows, columns: columns, codec: codec, encoding: .byteStreamSplit, maxPageBytes: 64 << 10)
        #expect(try pageCount(reader, column: 1) >= 10)
        for c in 1...columns.count { #expect(reader.columns[c].encodings.contains(9), "column \(c) lists BYTE_STREAM_SPLIT") }
        #expect(reader.columns[4].nanCount == Int64(columns[3].cells.compactMap { $0 }.filter { Double(bitPattern: $0).isNaN }.count))
    }

    /// What the encoding is for: smooth series share their high bytes, which snappy only
    /// finds once those bytes are next to each other.
    @Test func byteStreamSplitShrinksSmoothSeries() throws {
        let rows = 3600
        let columns = (0..<20).map { k in
            OwnedColumn(name: "c\(k)", cells: (0..<rows).map { (Double(k) * 1e5 + Double($0) * (0.37 + Double(k))).bitPattern })
        }
        let dir = try TempDir()
        defer { dir.cleanup() }
        let plain = try writeColumns(dir.file("plain.parquet"), timestamps: secondsTimestamps(rows), columns: columns)
        let split = try writeColumns(dir.file("bss.parquet"), timestamps: secondsTimestamps(rows), columns: columns,
                                     doubleEncoding: .byteStreamSplit)
        #expect(split.bytes * 4 < plain.bytes * 3, "BYTE_STREAM_SPLIT \(split.bytes) B vs PLAIN \(plain.bytes) B")
    }

    @Test func zeroSignRuleAndAllNaN() throws {
        let columns = [
            OwnedColumn(name: "zeros", cells: [Double(0).bitPattern, (-0.0).bitPattern, Double(0).bitPattern]),
            OwnedColumn(name: "nans", cells: [staleMarker, nil, Double.nan.bitPattern]),
            OwnedColumn(name: "negzero_only", cells: [(-0.0).bitPattern, nil, nil]),
        ]
        let reader = try check(rows: 3, columns: columns)
        #expect(reader.columns[1].minValue == plainBytes((-0.0).bitPattern))
        #expect(reader.columns[1].maxValue == plainBytes(Double(0).bitPattern))
        #expect(reader.columns[2].minValue == nil && reader.columns[2].maxValue == nil)
        #expect(reader.columns[2].nanCount == 2)
        #expect(reader.columns[3].maxValue == plainBytes(Double(0).bitPattern))
    }

    @Test func oneRow() throws {
        _ = try check(rows: 1, columns: [OwnedColumn(name: "x", cells: [staleMarker]), OwnedColumn(name: "y", cells: [nil])])
    }

    @Test(arguments: [ParquetCodec.snappy, .uncompressed])
    func dayWithSeveralPages(codec: ParquetCodec) throws {
        let rows = 86_400
        var rng = SplitMix(state: 9)
        let columns = [
            OwnedColumn(name: "gauge", cells: (0..<rows).map { $0 % 5000 < 17 ? nil : (rng.unit() * 100).bitPattern }),
            OwnedColumn(name: "sparse", cells: (0..<rows).map { $0 % 97 == 0 ? Double($0).bitPattern : nil }),
        ]
        // 64 KiB pages: about 8,000 values per page, so 11+ pages per chunk.
        let reader = try check(rows: rows, columns: columns, codec: codec, maxPageBytes: 64 << 10)
        #expect(try pageCount(reader, column: 1) >= 10)
        #expect(try pageCount(reader, column: 0) >= 10)
        // The default limit still holds a day of one column in one ~675 KiB page.
        let single = try check(rows: rows, columns: Array(columns.prefix(1)), codec: codec)
        #expect(try pageCount(single, column: 1) == 1)
    }

    @Test func wideFile() throws {
        var columns: [OwnedColumn] = []
        for c in 0..<2500 {
            let cells: [UInt64?] = (0..<60).map { (r: Int) -> UInt64? in (r + c) % 13 == 0 ? nil : Double(c * 100 + r).bitPattern }
            columns.append(OwnedColumn(name: "s\(c){job=\"node\",instance=\"host:\(c)\"}", cells: cells))
        }
        let reader = try check(rows: 60, columns: columns)
        #expect(reader.columns.count == 2501)
    }

    @Test func keyValueMetadataAndCreatedBy() throws {
        let kv: [(key: String, value: String)] = [
            ("seismo.series", "[{\"column\":\"a\",\"labels\":{\"__name__\":\"up\"}}]"),
            ("empty", ""),
            ("ünïcødé", String(repeating: "x", count: 100_000)),
        ]
        let reader = try check(rows: 10, columns: [OwnedColumn(name: "a", cells: (0..<10).map { Double($0).bitPattern })], kv: kv)
        #expect(reader.keyValueMetadata.map(\.key) == kv.map(\.key))
        #expect(reader.keyValueMetadata.map(\.value) == kv.map(\.value))
        #expect(reader.createdBy == "seismo-tests")
    }

    @Test func countersMatchTheBytesOnDisk() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = dir.file("c.parquet")
        let columns = realisticColumns(rows: 3600, count: 5)
        let result = try writeColumns(path, timestamps: secondsTimestamps(3600), columns: columns, maxPageBytes: 8 << 10)
        let reader = try ParquetFileReader(path: path)
        // Chunks are contiguous from offset 4 up to the footer, headers included.
        var expected: Int64 = 4
        for info in reader.columns {
            #expect(info.chunkOffset == expected)
            expected += info.chunkLength
        }
        #expect(expected + Int64(result.footerBytes) + 8 == reader.fileSize)
    }

    @Test func invalidArgumentsAreRejected() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        #expect(throws: ParquetError.self) {
            try writeColumns(dir.file("a"), timestamps: [1, 1], columns: [])
        }
        #expect(throws: ParquetError.self) {
            try writeColumns(dir.file("b"), timestamps: [1, 2], columns: [OwnedColumn(name: "x", cells: [nil])])
        }
        #expect(throws: ParquetError.self) {
            try writeColumns(dir.file("c"), timestamps: [1], columns: [OwnedColumn(name: "x", cells: [nil]), OwnedColumn(name: "x", cells: [nil])])
        }
        #expect(throws: ParquetError.self) {
            try writeColumns("/nonexistent-dir/x.parquet", timestamps: [1], columns: [])
        }
    }

    func pageCount(_ reader: ParquetFileReader, column: Int) throws -> Int {
        // The reader keeps its descriptor, so this works after the temp dir is gone.
        try reader.dataPageCount(column)
    }
}
