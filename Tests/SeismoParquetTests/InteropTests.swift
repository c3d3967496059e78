import Foundation
import Testing
@testable import SeismoParquet
import SeismoTestSupport

/// Writes files plus `expectations.json` into $SEISMO_PARQUET_INTEROP_DIR for
/// Tests/interop/parquet_check.py (pyarrow, DuckDB, polars). Without the
/// variable the test is reported as skipped, not as passed.
@Suite struct InteropTests {
    static let directory = ProcessInfo.processInfo.environment["SEISMO_PARQUET_INTEROP_DIR"]

    struct FileSpec {
        var file: String
        var codec: ParquetCodec
        var encoding: ParquetDoubleEncoding = .plain
        var rows: Int
        var columns: [OwnedColumn]
        var maxPageBytes = ParquetWriter.defaultMaxPageBytes
        var checkRows: [Int]
        var integerColumns = false
    }

    @Test(.enabled(if: directory != nil, "set SEISMO_PARQUET_INTEROP_DIR to write interop files"))
    func writeInteropFiles() throws {
        let dir = Self.directory!
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let inf: Double = .infinity
        let negZero: Double = -0.0
        let special: [UInt64] = [
            staleMarker, Double.nan.bitPattern, inf.bitPattern, (-inf).bitPattern,
            negZero.bitPattern, Double(1.5).bitPattern, Double.greatestFiniteMagnitude.bitPattern,
        ]
        var rng = SplitMix(state: 77)
        var cpu: [UInt64?] = []
        var scattered: [UInt64?] = []
        var specialCells: [UInt64?] = []
        var staleOnly: [UInt64?] = []
        for r in 0..<3600 {
            cpu.append((r / 600) % 2 == 1 ? nil : (Double(r) * 0.01).bitPattern)
            scattered.append(rng.next() % 4 == 0 ? nil : rng.unit().bitPattern)
            specialCells.append(r % 9 == 8 ? nil : special[r % 9 % special.count])
            staleOnly.append(r % 2 == 0 ? staleMarker : nil)
        }
        let mixed = [
            OwnedColumn(name: "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"}", cells: cpu),
            OwnedColumn(name: "scattered", cells: scattered),
            OwnedColumn(name: "all_null", cells: [UInt64?](repeating: nil, count: 3600)),
            OwnedColumn(name: "special", cells: specialCells),
            OwnedColumn(name: "stale_only", cells: staleOnly),
        ]
        let specs = [
            FileSpec(file: "mixed_snappy.parquet", codec: .snappy, rows: 3600, columns: mixed, checkRows: [0, 1, 2, 3, 4, 5, 6, 7, 8, 600, 3599]),
            FileSpec(file: "mixed_uncompressed.parquet", codec: .uncompressed, rows: 3600, columns: mixed, checkRows: [0, 1, 2, 3, 4, 600]),
            FileSpec(file: "mixed_bss_snappy.parquet", codec: .snappy, encoding: .byteStreamSplit, rows: 3600, columns: mixed,
                     checkRows: [0, 1, 2, 3, 4, 5, 6, 7, 8, 600, 3599]),
            FileSpec(file: "mixed_bss_uncompressed.parquet", codec: .uncompressed, encoding: .byteStreamSplit, rows: 3600,
                     columns: mixed, checkRows: [0, 1, 2, 3, 4, 600]),
            FileSpec(file: "one_row.parquet", codec: .snappy, rows: 1,
                     columns: [OwnedColumn(name: "a", cells: [staleMarker]), OwnedColumn(name: "b", cells: [nil])], checkRows: [0]),
            FileSpec(file: "day_pages.parquet", codec: .snappy, rows: 86_400,
                     columns: realisticColumns(rows: 86_400, count: 8, seed: 3), maxPageBytes: 64 << 10, checkRows: [0, 8191, 8192, 50_000, 86_399]),
            FileSpec(file: "wide_3600x1000.parquet", codec: .snappy, rows: 3600,
                     columns: realisticColumns(rows: 3600, count: 1000, seed: 1), checkRows: [0, 1799, 3599]),
            FileSpec(file: "wide_bss_3600x1000.parquet", codec: .snappy, encoding: .byteStreamSplit, rows: 3600,
                     columns: realisticColumns(rows: 3600, count: 1000, seed: 1), checkRows: [0, 1799, 3599]),
            // Whole-number series as INT64 (storage.integer_columns, the segment default).
            FileSpec(file: "mixed_ints_snappy.parquet", codec: .snappy, encoding: .byteStreamSplit, rows: 3600,
                     columns: mixed + integerColumns(rows: 3600), checkRows: [0, 1, 2, 3, 4, 5, 6, 7, 8, 600, 3599],
                     integerColumns: true),
            FileSpec(file: "ints_pages_uncompressed.parquet", codec: .uncompressed, encoding: .byteStreamSplit, rows: 3600,
                     columns: integerColumns(rows: 3600), maxPageBytes: 1024, checkRows: [0, 127, 128, 129, 1000, 3599],
                     integerColumns: true),
            FileSpec(file: "wide_ints_3600x1000.parquet", codec: .snappy, encoding: .byteStreamSplit, rows: 3600,
                     columns: realisticColumns(rows: 3600, count: 1000, seed: 1), checkRows: [0, 1799, 3599], integerColumns: true),
            // One series, INT64 in one file and DOUBLE in the next: each reader's way of
            // reading several segments must give one DOUBLE column (parquet_check.py unions).
            FileSpec(file: "union_a.parquet", codec: .snappy, rows: 4,
                     columns: [OwnedColumn(name: "x", cells: [1, 2, nil, 9_007_199_254_740_992].map { $0.map { Double($0).bitPattern } })],
                     checkRows: [0, 1, 2, 3], integerColumns: true),
            FileSpec(file: "union_b.parquet", codec: .snappy, rows: 3,
                     columns: [OwnedColumn(name: "x", cells: [2.5, nil, -7].map { $0.map { Double($0).bitPattern } })],
                     checkRows: [0, 1, 2], integerColumns: true),
        ]
        var files: [[String: Any]] = []
        for spec in specs {
            let ts = secondsTimestamps(spec.rows)
            let started = Date()
            let result = try writeColumns(dir + "/" + spec.file, timestamps: ts, columns: spec.columns,
                                          keyValueMetadata: [("seismo.test", spec.file)], codec: spec.codec,
                                          doubleEncoding: spec.encoding, maxPageBytes: spec.maxPageBytes,
                                          integerColumns: spec.integerColumns)
            let written = try ParquetFileReader(path: dir + "/" + spec.file)
            var columns: [[String: Any]] = []
            for (i, c) in spec.columns.enumerated() {
                let cells = c.cells
                let checks: [[Any]] = spec.checkRows.map { [$0, cells[$0].map { NSNumber(value: $0) } ?? NSNull()] }
                let type = written.columns[i + 1].physicalType == PhysicalType.int64 ? "int64" : "double"
                columns.append(["name": c.name, "non_null": c.nonNull, "checks": checks, "type": type])
            }
            files.append([
                "file": spec.file, "rows": spec.rows, "first_ts_ms": ts.first!, "last_ts_ms": ts.last!,
                "key_value": ["seismo.test": spec.file], "columns": columns,
                "bytes": result.bytes, "footer_bytes": result.footerBytes, "non_null_values": result.nonNullValues,
                "write_seconds": Date().timeIntervalSince(started),
                "bytes_per_sample": result.nonNullValues > 0 ? Double(result.bytes) / Double(result.nonNullValues) : 0,
            ])
        }
        let unions: [[String: Any]] = [[
            "files": ["union_a.parquet", "union_b.parquet"], "column": "x",
            "cells": ([1, 2, nil, 9_007_199_254_740_992, 2.5, nil, -7] as [Double?]).map { $0.map { NSNumber(value: $0.bitPattern) } ?? NSNull() },
        ]]
        let json = try JSONSerialization.data(withJSONObject: ["files": files, "unions": unions], options: [.prettyPrinted, .sortedKeys])
        try json.write(to: URL(fileURLWithPath: dir + "/expectations.json"))
    }
}

/// Whole-number series of the kinds node_exporter exports: a counter with gaps, a
/// negative gauge, the 2^53 limit, a constant, and one that is INT64 only in some pages'
/// worth of rows (a late series).
func integerColumns(rows: Int) -> [OwnedColumn] {
    var rng = SplitMix(state: 5)
    var bytes = 4_000_000_000.0
    var counter: [UInt64?] = []
    for r in 0..<rows {
        bytes += Double(rng.next() % 100_000)
        counter.append(r % 700 == 5 ? nil : bytes.bitPattern)
    }
    return [
        OwnedColumn(name: "node_network_receive_bytes_total", cells: counter),
        OwnedColumn(name: "gauge_negative", cells: (0..<rows).map { Double(-Int($0 % 50) * 4096).bitPattern }),
        OwnedColumn(name: "at_limit", cells: (0..<rows).map { ($0 % 2 == 0 ? 9_007_199_254_740_992.0 : -9_007_199_254_740_992.0).bitPattern }),
        OwnedColumn(name: "constant", cells: (0..<rows).map { _ in Double(1).bitPattern }),
        OwnedColumn(name: "late", cells: (0..<rows).map { $0 < rows - 10 ? nil : Double($0).bitPattern }),
    ]
}
