import Foundation
import Logging
import SeismoModel
import SeismoStore
import XCTest
@testable import SeismoWatch

/// The pipeline's cache of top-series labels answers what the store answers, and stays
/// within its capacity however many series pass through it.
final class SeriesLabelCacheTests: XCTestCase {
    func testAnswersTheStoresLabelsAndStaysBounded() throws {
        let dir = NSTemporaryDirectory() + "seismo-label-cache-tests/" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = StoreConfig(dataDirectory: dir)
        config.headWindowSeconds = 100_000
        var logger = Logger(label: "label-cache-test")
        logger.logLevel = .critical
        let store = try Store(config: config, logger: logger)
        store.start()
        defer { store.close() }

        let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
        var batch = WriteBatch()
        for k in 0..<10 {
            batch.append(labels: [("__name__", "m\(k)"), ("instance", "host-\(k % 3)")], samples: [(nowMs - 1000, Double(k))])
        }
        var ids = [UInt32](repeating: 0, count: 10)
        let done = DispatchSemaphore(value: 0)
        _ = try ids.withUnsafeMutableBufferPointer { p in
            try store.append(batch, nowMs: nowMs, resolvedIds: p.baseAddress) { _ in done.signal() }
        }
        done.wait()

        var cache = SeriesLabelCache(capacity: 4)
        for round in 0..<3 {
            for id in ids {
                let got = cache.labels(of: id, in: store)
                let want = store.labels(ofSeries: id)
                XCTAssertEqual(got.map(\.name), want.map(\.name), "round \(round) id \(id)")
                XCTAssertEqual(got.map(\.value), want.map(\.value), "round \(round) id \(id)")
                XCTAssertLessThanOrEqual(cache.count, 4)
            }
        }
        XCTAssertEqual(cache.labels(of: ids[9], in: store).first { $0.name == "__name__" }?.value, "m9")
    }
}
