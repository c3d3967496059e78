import Foundation
import SeismoModel
import Testing
@testable import SeismoStore

let up = [(name: "__name__", value: "up"), (name: "job", value: "node")]
let load = [(name: "__name__", value: "node_load1"), (name: "instance", value: "a:9100")]
let t0: Int64 = 1_796_000_000_000  // 2026-11-30, a whole second

@Suite struct StoreTests {
    @Test func appendSealAndReadBack() throws {
        let dir = makeTempDirectory()
        let store = try Store(config: testConfig(dir), logger: quietLogger)
        store.start()
        let r = try appendDurably(store, batch([
            (up, [(t0, 1), (t0 + 1000, 0), (t0 + 2000, 1)]),
            (load, [(t0 + 1000, 0.25)]),
        ]))
        #expect(r.stored == 4)
        #expect(r.rejections.isEmpty)
        store.close()
        let data = try readSegments(dir)
        #expect(data["up{job=\"node\"}"] == [t0 / 1000: Double(1).bitPattern, t0 / 1000 + 1: Double(0).bitPattern, t0 / 1000 + 2: Double(1).bitPattern])
        #expect(data["node_load1{instance=\"a:9100\"}"] == [t0 / 1000 + 1: Double(0.25).bitPattern])
        let inspection = try StoreInspection.inspect(dataDirectory: dir)
        #expect(inspection.samples == 4)
        #expect(inspection.series == 2)
        #expect(inspection.firstTimestampMs == t0)
        #expect(inspection.lastTimestampMs == t0 + 2000)
        #expect(inspection.headSamples == 0)
    }

    @Test func laterTimestampWinsWithinASecond() throws {
        let dir = makeTempDirectory()
        let store = try Store(config: testConfig(dir), logger: quietLogger)
        store.start()
        // Out of order inside one second: the 900 ms sample must win over the 100 ms one.
        try appendDurably(store, batch([(up, [(t0 + 900, 9)])]))
        let r = try appendDurably(store, batch([(up, [(t0 + 100, 1)])]))
        #expect(r.collisions == 1)
        // A retry of the same sample is harmless.
        try appendDurably(store, batch([(up, [(t0 + 900, 9)])]))
        store.close()
        #expect(try readSegments(dir)["up{job=\"node\"}"] == [t0 / 1000: Double(9).bitPattern])
    }

    @Test func staleMarkersNaNAndInfinitiesStayBitExact() throws {
        let dir = makeTempDirectory()
        let store = try Store(config: testConfig(dir), logger: quietLogger)
        store.start()
        let stale = Double(bitPattern: staleMarkerBits)
        try appendDurably(store, batch([(up, [(t0, stale), (t0 + 1000, .nan), (t0 + 2000, .infinity), (t0 + 3000, -.infinity)])]))
        store.close()
        let col = try #require(try readSegments(dir)["up{job=\"node\"}"])
        #expect(col[t0 / 1000] == staleMarkerBits)
        #expect(col[t0 / 1000 + 1] == Double.nan.bitPattern)
        #expect(col[t0 / 1000 + 2] == Double.infinity.bitPattern)
        #expect(col[t0 / 1000 + 3] == (-Double.infinity).bitPattern)
    }

    @Test func windowAndFutureRejectionsKeepTheRest() throws {
        let dir = makeTempDirectory()
        let store = try Store(config: testConfig(dir, window: 60), logger: quietLogger)
        store.start()
        try appendDurably(store, batch([(up, [(t0, 1)])]), nowMs: t0)
        let r = try appendDurably(store, batch([
            (up, [(t0 + 120_000, 2)]),         // pushes the window to t0+60s
            (load, [(t0 + 30_000, 3)]),         // now too old
            (load, [(t0 + 3_600_000, 4)]),      // an hour ahead of the clock
        ]), nowMs: t0 + 120_000)
        #expect(r.stored == 1)
        #expect(r.rejections.count(.tooOld) == 1)
        #expect(r.rejections.count(.tooFarInFuture) == 1)
        #expect(r.rejections.describe(stored: r.stored).hasPrefix("rejected 2 samples"))
        store.close()
        let data = try readSegments(dir)
        #expect(data["up{job=\"node\"}"]?.count == 2)
        #expect(data["node_load1{instance=\"a:9100\"}"] == nil)
    }

    @Test func timestampsBeforeTheEpochAreRefused() throws {
        let dir = makeTempDirectory()
        let store = try Store(config: testConfig(dir), logger: quietLogger)
        store.start()
        let r = try appendDurably(store, batch([(up, [(-5000, 1)]), (load, [(0, 2)])]), nowMs: t0)
        #expect(r.stored == 1)
        #expect(r.rejections.count(.tooOld) == 1)
        store.close()
        #expect(try readSegments(dir)["node_load1{instance=\"a:9100\"}"] == [0: Double(2).bitPattern])
    }

    @Test func crashRecoveryReplaysTheWALAndCutsATornTail() throws {
        let dir = makeTempDirectory()
        do {
            let store = try Store(config: testConfig(dir), logger: quietLogger)
            store.start()
            try appendDurably(store, batch([(up, [(t0, 1), (t0 + 1000, 2)])]))
            try appendDurably(store, batch([(load, [(t0 + 1000, 7)])]))
            store.simulateCrashForTesting()
        }
        // A torn record at the tail: a header promising more bytes than exist, written
        // where the records end (the rest of the file is zero-filled ahead of appends).
        let walFiles = try FileManager.default.contentsOfDirectory(atPath: dir + "/wal").sorted()
        let last = dir + "/wal/" + walFiles.last!
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: last)))
        var end = 0
        while end + 8 <= bytes.count && bytes[end..<(end + 8)].contains(where: { $0 != 0 }) {
            end += 8 + (0..<4).reduce(0) { $0 | Int(bytes[end + $1]) << (8 * $1) }
        }
        let handle = try #require(FileHandle(forWritingAtPath: last))
        handle.seek(toFileOffset: UInt64(end))
        handle.write(Data([0xFF, 0x00, 0x00, 0x00, 1, 2, 3, 4, 1, 2]))
        handle.closeFile()

        let live = try StoreInspection.inspect(dataDirectory: dir)
        #expect(live.samples == 3)
        #expect(live.segments == 0)

        let store = try Store(config: testConfig(dir), logger: quietLogger)
        store.start()
        try appendDurably(store, batch([(up, [(t0 + 2000, 3)])]))
        store.close()
        let data = try readSegments(dir)
        #expect(data["up{job=\"node\"}"]?.count == 3)
        #expect(data["node_load1{instance=\"a:9100\"}"] == [t0 / 1000 + 1: Double(7).bitPattern])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/wal").isEmpty)
    }

    @Test func sealsByWindowAndRefusesSealedSeconds() throws {
        let dir = makeTempDirectory()
        let store = try Store(config: testConfig(dir, window: 120, span: 60), logger: quietLogger)
        store.start()
        let base = (t0 / 60_000) * 60_000  // minute aligned
        try appendDurably(store, batch([(up, (0..<60).map { (base + Int64($0) * 1000, Double($0)) })]))
        try appendDurably(store, batch([(up, [(base + 185_000, 75)])]))  // window now starts at base+65s
        store.sealDue(final: false)
        #expect(store.stats().sealedUntil == base / 1000 + 60)
        let late = try appendDurably(store, batch([(up, [(base + 30_000, -1)])]))
        #expect(late.rejections.count(.tooOld) == 1)
        let segmentsNow = try FileManager.default.contentsOfDirectory(atPath: dir + "/segments")
        #expect(segmentsNow == ["\(base / 1000)-\(base / 1000 + 60)"])
        store.close()
        let data = try readSegments(dir)
        #expect(data["up{job=\"node\"}"]?.count == 61)
        #expect(data["up{job=\"node\"}"]?[base / 1000 + 30] == Double(30).bitPattern)
    }

    @Test func columnGroupsSplitWideSegments() throws {
        let dir = makeTempDirectory()
        var config = testConfig(dir)
        config.columnsPerFile = 10
        let store = try Store(config: config, logger: quietLogger)
        store.start()
        var b = WriteBatch()
        for i in 0..<25 { b.append(labels: [("__name__", "m"), ("i", String(i))], samples: [(t0, Double(i))]) }
        try appendDurably(store, b)
        store.close()
        let seg = try FileManager.default.contentsOfDirectory(atPath: dir + "/segments")
        #expect(seg.count == 1)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/segments/" + seg[0]).sorted()
        #expect(files == ["cg-00000.parquet", "cg-00001.parquet", "cg-00002.parquet"])
        #expect(try readSegments(dir).count == 25)
    }

    @Test func metadataAndSeriesSurviveRestart() throws {
        let dir = makeTempDirectory()
        do {
            let store = try Store(config: testConfig(dir), logger: quietLogger)
            store.start()
            var b = batch([(up, [(t0, 1)])])
            b.metadata = [MetricMetadata(kind: .gauge, family: "up", help: "target up", unit: "")]
            try appendDurably(store, b)
            store.close()
        }
        let store = try Store(config: testConfig(dir), logger: quietLogger)
        #expect(store.catalog.seriesCount == 1)
        #expect(store.catalog.metadata["up"]?.kind == .gauge)
        store.start()
        store.close()
    }

    @Test func secondServerOnTheSameDirectoryIsRefused() throws {
        let dir = makeTempDirectory()
        let store = try Store(config: testConfig(dir), logger: quietLogger)
        #expect(throws: StoreError.self) { try Store(config: testConfig(dir), logger: quietLogger) }
        store.start()
        store.close()
    }
}

@Suite struct RetentionTests {
    @Test func retentionDeletesWholeSegmentsOnly() throws {
        let dir = makeTempDirectory()
        var config = testConfig(dir, window: 10, span: 60)
        config.retentionSeconds = 120
        let store = try Store(config: config, logger: quietLogger)
        store.start()
        let base = (t0 / 60_000) * 60_000
        for minute in 0..<4 {
            try appendDurably(store, batch([(up, [(base + Int64(minute) * 60_000, Double(minute))])]))
        }
        try appendDurably(store, batch([(up, [(base + 4 * 60_000 + 20_000, 4)])]))
        store.sealDue(final: false)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/segments").count == 4)
        // "Now" is 5 minutes after base: segments ending 2 minutes ago or earlier go.
        store.applyRetention(nowSeconds: base / 1000 + 300)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir + "/segments").sorted()
        #expect(left == ["\(base / 1000 + 180)-\(base / 1000 + 240)"])
        store.close()
    }
}

@Suite struct BackpressureTests {
    /// When unsynced WAL bytes pile up beyond the limit, appends are refused whole (the
    /// server answers 503 + Retry-After) and nothing of the refused request is applied.
    @Test func overloadRefusesWholeRequests() throws {
        let dir = makeTempDirectory()
        var config = testConfig(dir)
        config.maxPendingWALBytes = 0
        let store = try Store(config: config, logger: quietLogger)
        // No commit thread yet: the first request's record stays pending.
        var firstDone = false
        try store.append(batch([(up, [(t0, 1)])]), nowMs: t0) { _ in firstDone = true }
        #expect(throws: StoreError.self) {
            try store.append(batch([(load, [(t0, 2)])]), nowMs: t0) { _ in }
        }
        #expect(store.stats().headSamples == 1)
        store.start()
        store.close()
        #expect(firstDone)
        let data = try readSegments(dir)
        #expect(data["up{job=\"node\"}"] != nil)
        #expect(data["node_load1{instance=\"a:9100\"}"] == nil)
    }
}

extension StoreTests {
    /// The cardinality cap refuses samples of new series only; known series keep flowing,
    /// and nothing of a refused series reaches the catalog.
    @Test func seriesLimitRefusesOnlyNewSeries() throws {
        let dir = makeTempDirectory()
        var config = testConfig(dir)
        config.maxSeries = 2
        let store = try Store(config: config, logger: quietLogger)
        store.start()
        defer { store.close() }
        let t = Int64(1_800_000_000_000)
        let first = try appendDurably(store, batch([
            ([("__name__", "a")], [(t, 1)]), ([("__name__", "b")], [(t, 2)]), ([("__name__", "c")], [(t, 3), (t + 1000, 4)]),
        ]))
        #expect(first.stored == 2)
        #expect(first.rejections.count(.seriesLimit) == 2)
        #expect(first.rejections.describe(stored: 2).contains("limits.max_series"))
        let second = try appendDurably(store, batch([([("__name__", "a")], [(t + 1000, 5)]), ([("__name__", "d")], [(t + 1000, 6)])]))
        #expect(second.stored == 1)
        #expect(second.rejections.count(.seriesLimit) == 1)
        #expect(store.stats().series == 2)
    }
}
