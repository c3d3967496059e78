import Foundation
import SeismoModel
import Testing
@testable import SeismoStore

/// `BatchSeries.seriesHint`: the wire decoder names a series it has seen before by the id
/// the store gave it (learnt through `append(_:nowMs:resolvedIds:onDurable:)`), with no
/// key. Such samples must land in that series, and refusals must still name it.
@Suite struct SeriesHintTests {
    static let t0: Int64 = 1_799_999_000_000

    func appendReturningIds(_ store: Store, _ b: WriteBatch, nowMs: Int64 = 1_800_000_000_000) throws -> (AppendResult, [UInt32]) {
        var ids = [UInt32](repeating: 7, count: b.series.count)
        let done = DispatchSemaphore(value: 0)
        var outcome: Result<AppendResult, StoreError>?
        try ids.withUnsafeMutableBufferPointer { p in
            _ = try store.append(b, nowMs: nowMs, resolvedIds: p.baseAddress) { r in
                outcome = r
                done.signal()
            }
        }
        done.wait()
        return (try outcome!.get(), ids)
    }

    @Test func resolvedIdsNameEachSeriesAndHintedSamplesLandThere() throws {
        let dir = makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try Store(config: testConfig(dir), logger: quietLogger)
        store.start()
        defer { store.close() }
        let a = [(name: "__name__", value: "m"), (name: "job", value: "a")]
        let b = [(name: "__name__", value: "m"), (name: "job", value: "b")]
        var first = WriteBatch()
        first.append(labels: a, samples: [(Self.t0, 1)])
        first.append(labels: b, samples: [(Self.t0, 2)])
        first.append(labels: a, samples: [(Self.t0 + 1000, 3)])  // repeated within a request
        first.append(labels: [(name: "__name__", value: "old")], samples: [(1_000, 9)])  // outside the window
        let (r1, ids) = try appendReturningIds(store, first)
        #expect(r1.stored == 3)
        #expect(ids[0] == ids[2] && ids[0] != ids[1])
        #expect(ids[3] == BatchSeries.unresolved)
        #expect(store.labels(ofSeries: ids[1]).map(\.value) == ["m", "b"])

        // The next request names both by id only.
        var hinted = WriteBatch()
        hinted.series.append(BatchSeries(keyOffset: 0, keyLength: 0, sampleOffset: 0, sampleCount: 1, seriesHint: ids[1]))
        hinted.series.append(BatchSeries(keyOffset: 0, keyLength: 0, sampleOffset: 1, sampleCount: 2, seriesHint: ids[0]))
        hinted.timestamps = [Self.t0 + 2000, Self.t0 + 2000, 1_000]
        hinted.valueBits = [Double(20).bitPattern, Double(10).bitPattern, Double(0).bitPattern]
        let (r2, ids2) = try appendReturningIds(store, hinted)
        #expect(r2.stored == 2)
        #expect(ids2 == [ids[1], ids[0]])
        // The refused sample of a hinted series is described by its labels.
        #expect(r2.rejections.count(.tooOld) == 1)
        #expect(r2.rejections.describe(stored: r2.stored).contains("job=\"a\""))
        #expect(store.stats().series == 2)  // "old" never got an id: its only sample was refused

        let read = try store.select([LabelMatcher(.equal, "__name__", "m")], fromMs: Self.t0, toMs: Self.t0 + 10_000)
        let byJob = Dictionary(uniqueKeysWithValues: read.map { s in
            (s.labels.first { $0.name == "job" }!.value, s.valueBits.map { Double(bitPattern: $0) })
        })
        #expect(byJob["a"] == [1, 3, 10])
        #expect(byJob["b"] == [2, 20])
    }
}
