import Foundation
import Logging
import SeismoModel
import SeismoParquet
@testable import SeismoStore

/// A fresh data directory per test.
func makeTempDirectory(_ name: String = #function) -> String {
    let base = NSTemporaryDirectory() + "seismo-store-tests/" + name.filter { $0.isLetter || $0.isNumber } + "-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
    return base
}

func testConfig(_ dir: String, window: Int64 = 600, span: Int64 = 3600) -> StoreConfig {
    var c = StoreConfig(dataDirectory: dir)
    c.headWindowSeconds = window
    c.segmentSpanSeconds = span
    return c
}

let quietLogger: Logger = {
    var l = Logger(label: "test")
    l.logLevel = .critical
    return l
}()

/// Appends and blocks until the samples are durable; returns the store's result.
@discardableResult
func appendDurably(_ store: Store, _ batch: WriteBatch, nowMs: Int64 = 1_800_000_000_000) throws -> AppendResult {
    let done = DispatchSemaphore(value: 0)
    var outcome: Result<AppendResult, StoreError>?
    try store.append(batch, nowMs: nowMs) { r in
        outcome = r
        done.signal()
    }
    done.wait()
    return try outcome!.get()
}

func batch(_ series: [(labels: [(name: String, value: String)], samples: [(timestampMs: Int64, value: Double)])]) -> WriteBatch {
    var b = WriteBatch()
    for s in series { b.append(labels: s.labels, samples: s.samples) }
    return b
}

/// Reads every sealed segment of a data dir: column name → (second → value bits).
func readSegments(_ dir: String) throws -> [String: [Int64: UInt64]] {
    var out: [String: [Int64: UInt64]] = [:]
    let segments = dir + "/segments"
    for seg in try FileManager.default.contentsOfDirectory(atPath: segments).sorted() where !seg.hasPrefix(".") {
        for file in try FileManager.default.contentsOfDirectory(atPath: segments + "/" + seg).sorted() {
            let reader = try ParquetFileReader(path: segments + "/" + seg + "/" + file)
            let ts = try reader.readInt64Column(0)
            for i in 1..<reader.columns.count {
                let values = try reader.readDoubleColumn(i)
                for (row, v) in values.enumerated() {
                    if let v { out[reader.columns[i].name, default: [:]][ts[row] / 1000] = v }
                }
            }
        }
    }
    return out
}
