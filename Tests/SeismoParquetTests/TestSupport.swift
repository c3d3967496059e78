import Foundation
@testable import SeismoParquet
import SeismoTestSupport

/// A column whose buffers the test owns; `ParquetDoubleColumn` only borrows.
struct OwnedColumn {
    var name: String
    var values: [UInt64]
    var presence: [UInt16]

    init(name: String, cells: [UInt64?]) {
        self.name = name
        values = cells.map { $0 ?? 0 }
        presence = cells.map { $0 == nil ? 0 : 1 }
    }

    var cells: [UInt64?] { zip(values, presence).map { $1 == 0 ? nil : $0 } }
    var nonNull: Int { presence.filter { $0 != 0 }.count }
}

/// A fresh directory under NSTemporaryDirectory, removed by `cleanup()`.
struct TempDir {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "seismo-parquet-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// Copies the owned columns into buffers that stay valid for the whole write.
@discardableResult
func writeColumns(
    _ path: String, timestamps: [Int64], columns: [OwnedColumn],
    keyValueMetadata: [(key: String, value: String)] = [], createdBy: String = "seismo-tests",
    codec: ParquetCodec = .snappy, doubleEncoding: ParquetDoubleEncoding = .plain,
    maxPageBytes: Int = ParquetWriter.defaultMaxPageBytes, integerColumns: Bool = false
) throws -> ParquetWriteResult {
    var buffers: [(UnsafeMutableBufferPointer<UInt64>, UnsafeMutableBufferPointer<UInt16>)] = []
    defer {
        for (v, p) in buffers {
            v.deallocate()
            p.deallocate()
        }
    }
    var cols: [ParquetDoubleColumn] = []
    for c in columns {
        let v = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: c.values.count)
        _ = v.initialize(from: c.values)
        let p = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: c.presence.count)
        _ = p.initialize(from: c.presence)
        buffers.append((v, p))
        cols.append(ParquetDoubleColumn(name: c.name, values: UnsafeBufferPointer(v), presence: UnsafeBufferPointer(p)))
    }
    return try ParquetWriter.write(
        path: path, timestampsMs: timestamps, columns: cols, keyValueMetadata: keyValueMetadata,
        createdBy: createdBy, codec: codec, doubleEncoding: doubleEncoding, integerColumns: integerColumns,
        fsync: false, maxPageBytes: maxPageBytes)
}

func secondsTimestamps(_ rows: Int, start: Int64 = 1_760_000_000_000) -> [Int64] {
    (0..<rows).map { start + Int64($0) * 1000 }
}

let staleMarker: UInt64 = 0x7FF0_0000_0000_0002

/// Prometheus-like series of several kinds, with gaps, for size measurements
/// and interop files.
func realisticColumns(rows: Int, count: Int, seed: UInt64 = 42) -> [OwnedColumn] {
    var rng = SplitMix(state: seed)
    var out: [OwnedColumn] = []
    out.reserveCapacity(count)
    for c in 0..<count {
        var cells: [UInt64?] = []
        cells.reserveCapacity(rows)
        let kind = c % 20
        var counter = Double(rng.next() % 1_000_000)
        let level = rng.unit() * 100
        // ~5 % of series appear late or vanish early.
        let gap = c % 20 == 7 ? Int(rng.next() % UInt64(rows)) : 0
        for r in 0..<rows {
            if r < gap {
                cells.append(nil)
                continue
            }
            let v: Double
            switch kind {
            case 0..<5: counter += Double(rng.next() % 10); v = counter  // integer counter
            case 5, 6: counter += Double(rng.next() % 300) / 100; v = (counter * 100).rounded() / 100  // cpu seconds
            case 7: counter += Double(rng.next() % 100_000); v = counter  // bytes
            case 8, 9, 10: v = level + rng.unit()  // noisy gauge
            case 11, 12: v = Double(Int(level) + Int(rng.next() % 3))  // integer gauge
            case 13: v = (level * 10 + Double(rng.next() % 5)).rounded() / 10  // one-decimal gauge
            default: v = level.rounded()  // constant
            }
            cells.append(v.bitPattern)
        }
        out.append(OwnedColumn(name: "node_metric_\(c){cpu=\"\(c % 8)\",mode=\"idle\"}", cells: cells))
    }
    return out
}
