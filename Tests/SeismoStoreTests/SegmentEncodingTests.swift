import Foundation
import SeismoModel
import SeismoParquet
import Testing
@testable import SeismoStore

/// Sealed segments use the configured DOUBLE encoding, and both read back the same.
@Suite struct SegmentEncodingTests {
    func sealAndRead(_ encoding: ParquetDoubleEncoding?, integerColumns: Bool = true,
                     value: (Int, Int) -> Double = { k, i in Double(k) * 1e6 + Double(i) * 0.125 }
    ) throws -> (encodings: Set<Int32>, types: [Int32], cells: [String: [Int64: UInt64]]) {
        let dir = makeTempDirectory("segment-encoding-\(String(describing: encoding))")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = testConfig(dir, window: 3600, span: 3600)
        if let encoding { config.segmentDoubleEncoding = encoding }
        config.segmentIntegerColumns = integerColumns
        let store = try Store(config: config, logger: quietLogger)
        store.start()
        let t0: Int64 = 1_799_996_400_000
        var b = WriteBatch()
        for k in 0..<5 {
            var samples: [(timestampMs: Int64, value: Double)] = []
            for i in 0..<300 { samples.append((t0 + Int64(i) * 1000, value(k, i))) }
            b.append(labels: [("__name__", "m"), ("k", "\(k)")], samples: samples)
        }
        try appendDurably(store, b)
        store.close()
        var encodings = Set<Int32>()
        var types: [Int32] = []
        let segments = dir + "/segments"
        for seg in try FileManager.default.contentsOfDirectory(atPath: segments) where !seg.hasPrefix(".") {
            for file in try FileManager.default.contentsOfDirectory(atPath: segments + "/" + seg) {
                let reader = try ParquetFileReader(path: segments + "/" + seg + "/" + file)
                for c in reader.columns.dropFirst() {
                    encodings.formUnion(c.encodings)
                    types.append(c.physicalType)
                }
            }
        }
        return (encodings, types, try readSegments(dir))
    }

    @Test func defaultIsByteStreamSplitAndPlainStillWorks() throws {
        let split = try sealAndRead(nil)
        let plain = try sealAndRead(.plain)
        #expect(split.encodings == [9, 3])  // BYTE_STREAM_SPLIT values, RLE levels
        #expect(plain.encodings == [0, 3])  // PLAIN values, RLE levels
        #expect(split.cells.count == 5)
        #expect(split.cells == plain.cells)
    }

    /// storage.integer_columns (default on): a series whose values in the segment are all
    /// whole numbers is INT64 with delta coding; one fraction, NaN or stale marker keeps
    /// it DOUBLE. The cells read back are the same either way.
    @Test func wholeNumberSeriesAreSealedAsInt64() throws {
        let value: (Int, Int) -> Double = { k, i in
            switch k {
            case 0: return 4e9 + Double(i * i)  // byte counter
            case 1: return i == 150 ? 0.5 : Double(i)  // one fraction
            case 2: return i == 299 ? Double(bitPattern: 0x7FF0_0000_0000_0002) : 3  // goes stale
            case 3: return Double(-(i % 7) * 4096)  // whole-number gauge (Int negation: +0, not -0.0)
            default: return Double(i) * 0.01  // cpu seconds
            }
        }
        let ints = try sealAndRead(nil, value: value)
        let doubles = try sealAndRead(nil, integerColumns: false, value: value)
        #expect(ints.types == [2, 5, 5, 2, 5])  // INT64 for series 0 and 3
        #expect(doubles.types == [5, 5, 5, 5, 5])
        #expect(ints.encodings == [5, 9, 3])  // DELTA_BINARY_PACKED, BYTE_STREAM_SPLIT, RLE
        #expect(ints.cells.count == 5)
        #expect(ints.cells == doubles.cells)
    }
}
