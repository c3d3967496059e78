import Foundation
import Testing
@testable import SeismoParquet

/// Reads a file written by pyarrow (see Fixtures/README.md): proves the reader
/// skips Thrift fields Seismo's writer never emits (page statistics, size
/// statistics, page-index offsets, ARROW:schema) and handles several pages,
/// REQUIRED doubles, PLAIN INT64 and pyarrow's level run layout.
@Suite struct PyarrowFixtureTests {
    // Located via #filePath because Package.swift declares no test resources.
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/pyarrow_written.parquet").path
    static let rows = 5000

    @Test func readsEveryColumn() throws {
        let reader = try ParquetFileReader(path: Self.path)
        #expect(reader.rowCount == Int64(Self.rows))
        #expect(reader.columns.map(\.name) == ["timestamp", "counter", "gauge", "dense"])
        #expect(reader.columns.map(\.isOptional) == [false, false, true, false])
        #expect(reader.createdBy?.hasPrefix("parquet-cpp-arrow") == true)
        #expect(reader.keyValueMetadata.contains { $0.key == "ARROW:schema" })
        #expect(try reader.dataPageCount(3) > 1)

        #expect(try reader.readInt64Column(0) == (0..<Self.rows).map { 1_700_000_000_000 + 1000 * Int64($0) })
        #expect(try reader.readInt64Column(1) == (0..<Self.rows).map { Int64($0 * $0) })

        let gauge = try reader.readDoubleColumn(2)
        let expected: [UInt64?] = (0..<Self.rows).map { i in
            if i % 7 == 0 { return nil }
            if i == 1234 { return staleMarker }
            if i % 100 == 50 { return 0x7FF8_0000_0000_0000 }
            return (Double(i) * 0.5).bitPattern
        }
        #expect(gauge == expected)
        #expect(gauge[1234] == staleMarker)
        #expect(reader.columns[2].nullCount == Int64(expected.filter { $0 == nil }.count))

        #expect(try reader.readDoubleColumn(3) == (0..<Self.rows).map { (Double($0) / 3).bitPattern })
    }
}
