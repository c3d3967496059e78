import Foundation
import SeismoModel
import Testing
@testable import SeismoStore

/// `BatchSeries.keyHash` only speeds the lookup up: a right hint finds the series, and a
/// wrong one must neither add the label set a second time nor lose samples.
@Suite struct SeriesHashHintTests {
    @Test func wrongHintsNeverDuplicateASeries() throws {
        let dir = makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try Store(config: testConfig(dir), logger: quietLogger)
        store.start()
        defer { store.close() }
        let key = LabelKey.encode([("__name__", "m"), ("job", "x")])
        let right = key.withUnsafeBytes { LabelKey.hash($0) }
        let t0: Int64 = 1_799_999_000_000
        for (i, hint) in [UInt64(0), right, 12345, right ^ 1, right].enumerated() {
            var b = WriteBatch()
            b.append(labels: [("__name__", "m"), ("job", "x")], samples: [(t0 + Int64(i) * 1000, Double(i))])
            b.series[0].keyHash = hint
            let result = try appendDurably(store, b)
            #expect(result.stored == 1)
        }
        #expect(store.stats().series == 1)
        #expect(store.stats().headSamples == 5)
    }
}
