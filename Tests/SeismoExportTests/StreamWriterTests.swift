import Foundation
import SeismoParquet
import Testing

/// The export's Parquet writer: row groups appended one by one, the concurrent DOUBLE
/// path byte-identical to the sequential one, and the file readable by Seismo's reader.
@Suite struct StreamWriterTests {
    func write(concurrent: Bool) throws -> [UInt8] {
        let rows = 300
        let columns = 150
        var out: [UInt8] = []
        let schema = [ParquetStreamColumn(name: "timestamp", kind: .timestampMillis), ParquetStreamColumn(name: "anomaly", kind: .int32),
                      ParquetStreamColumn(name: "state", kind: .optionalString)]
            + (0..<columns).map { ParquetStreamColumn(name: "s\($0)", kind: .optionalDouble) }
        let w = try ParquetStreamWriter(name: "mem", sink: { out.append(contentsOf: $0) }, columns: schema, createdBy: "test",
                                        maxPageBytes: 512)
        var values = [UInt64](repeating: 0, count: rows * columns)
        var presence = [UInt16](repeating: 0, count: rows * columns)
        for i in values.indices {
            values[i] = (Double(i) * 0.37).bitPattern
            presence[i] = i % 7 == 0 ? 0 : 1
        }
        try values.withUnsafeBufferPointer { v in
            try presence.withUnsafeBufferPointer { p in
                for g in 0..<2 {
                    try w.beginRowGroup(rows: rows)
                    try w.writeTimestamps((0..<rows).map { Int64(g * rows + $0) * 1000 })
                    try w.writeInt32((0..<rows).map { Int32($0 % 2) })
                    try w.writeStrings((0..<rows).map { $0 % 3 == 0 ? nil : "state \($0 % 3)" })
                    let cols = (0..<columns).map {
                        ParquetDoubleColumn(name: "", values: UnsafeBufferPointer(rebasing: v[($0 * rows)..<(($0 + 1) * rows)]),
                                            presence: UnsafeBufferPointer(rebasing: p[($0 * rows)..<(($0 + 1) * rows)]))
                    }
                    if concurrent {
                        try w.writeDoublesConcurrently(cols, batch: 16)
                    } else {
                        for c in cols { try w.writeDoubles(c) }
                    }
                    try w.endRowGroup()
                }
            }
        }
        try w.close(keyValueMetadata: [("k", "v")])
        return out
    }

    @Test func concurrentEqualsSequentialAndReadsBack() throws {
        let a = try write(concurrent: false)
        let b = try write(concurrent: true)
        #expect(a == b)
        let path = NSTemporaryDirectory() + "stream-writer-\(UUID().uuidString).parquet"
        FileManager.default.createFile(atPath: path, contents: Data(b))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try ParquetFileReader(path: path)
        #expect(r.rowCount == 600)
        #expect(try r.readInt64Column(0).last == 599_000)
        let col = try r.readDoubleColumn(3 + 149)
        #expect(col.count == 600)
        let i = 149 * 300 + 1
        #expect(col[1] == (Double(i) * 0.37).bitPattern)
        #expect(col[301] == (Double(i) * 0.37).bitPattern)  // second row group, same buffers
    }

    @Test func schemaOrderIsEnforced() throws {
        let w = try ParquetStreamWriter(name: "mem", sink: { _ in }, columns: [ParquetStreamColumn(name: "timestamp", kind: .timestampMillis)], createdBy: "t")
        #expect(throws: ParquetError.self) { try w.writeTimestamps([1]) }  // no row group begun
        try w.beginRowGroup(rows: 1)
        #expect(throws: ParquetError.self) { try w.writeInt32([1]) }
        #expect(throws: ParquetError.self) { try w.endRowGroup() }
    }
}
