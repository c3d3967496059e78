import Foundation
import SeismoModel
import SeismoParquet
import Testing
@testable import SeismoStore

/// Sealed segments use the configured DOUBLE encoding, and both read back the same.
@Suite struct SegmentEncodingTests {
    func sealAndRead(_ encoding: ParquetDoubleEncoding?) throws -> (encodings: Set<Int32>, cells: [String: [Int64: UInt64]]) {
        let dir = makeTempDirectory("segment-encoding-\(String(describing: encoding))")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = testConfig(dir, window: 3600, span: 3600)
        if let encoding { config.segmentDoubleEncoding = encoding }
        let store = try Store(config: config, logger: quietLogger)
        store.start()
        let t0: Int64 = 1_799_996_400_000
        var b = WriteBatch()
        for k in 0..<5 {
            var samples: [(timestampMs: Int64, value: Double)] = []
            for i in 0..<300 { samples.append((t0 + Int64(i) * 1000, Double(k) * 1e6 + Double(i) * 0.125)) }
            b.append(labels: [("__name__", "m"), ("k", "\(k)")], samples: samples)
        }
        try appendDurably(store, b)
        store.close()
        var encodings = Set<Int32>()
        let segments = dir + "/segments"
        for seg in try FileManager.default.contentsOfDirectory(atPath: segments) where !seg.hasPrefix(".") {
            for file in try FileManager.default.contentsOfDirectory(atPath: segments + "/" + seg) {
                let reader = try ParquetFileReader(path: segments + "/" + seg + "/" + file)
                for c in reader.columns.dropFirst() { encodings.formUnion(c.encodings) }
            }
        }
        return (encodings, try readSegments(dir))
    }

    @Test func defaultIsByteStreamSplitAndPlainStillWorks() throws {
        let split = try sealAndRead(nil)
        let plain = try sealAndRead(.plain)
        #expect(split.encodings == [9, 3])  // BYTE_STREAM_SPLIT values, RLE levels
        #expect(plain.encodings == [0, 3])  // PLAIN values, RLE levels
        #expect(split.cells.count == 5)
        #expect(split.cells == plain.cells)
    }
}
