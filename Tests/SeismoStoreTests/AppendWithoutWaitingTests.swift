import Foundation
import SeismoModel
import Testing
@testable import SeismoStore

/// `appendWithoutWaiting` (the anomaly scores the server writes itself): no fsync is
/// asked for, yet the samples reach the WAL within about a second with no other traffic,
/// and a seal waits for them.
@Suite struct AppendWithoutWaitingTests {
    func walSamples(_ dir: String) throws -> Int {
        var n = 0
        for (_, path) in WriteAheadLog.listFiles(dir + "/wal") {
            n += WriteAheadLog.parseFile(try FileIO.readFile(path)) { _, _, _ in }.samples
        }
        return n
    }

    @Test func reachesTheWALWithinASecondWithoutOtherTraffic() throws {
        let dir = makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try Store(config: testConfig(dir), logger: quietLogger)
        store.start()
        defer { store.close() }
        var b = WriteBatch()
        b.append(labels: [(name: "__name__", value: "seismo:score"), (name: "rule", value: "r")],
                 samples: [(1_799_999_000_000, 0.5), (1_799_999_001_000, 0.25)])
        let result = try store.appendWithoutWaiting(b, nowMs: 1_800_000_000_000)
        #expect(result.stored == 2)
        let deadline = Date().addingTimeInterval(3)
        var seen = 0
        while Date() < deadline {
            seen = try walSamples(dir)
            if seen == 2 { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(seen == 2)
    }

    @Test func aSealWaitsForThem() throws {
        let dir = makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try Store(config: testConfig(dir, window: 60, span: 60), logger: quietLogger)
        store.start()
        var b = WriteBatch()
        b.append(labels: [(name: "__name__", value: "seismo:score")], samples: [(1_799_999_000_000, 1)])
        try store.appendWithoutWaiting(b, nowMs: 1_800_000_000_000)
        store.sealDue(final: true)
        // The segment names the series, so its catalog record must already be on disk.
        let catalog = SeriesCatalog(path: dir + "/catalog/series.log")
        _ = try catalog.load()
        #expect(catalog.seriesCount == 1)
        store.close()
    }
}
