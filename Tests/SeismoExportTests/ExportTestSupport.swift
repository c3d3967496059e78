import Foundation
import Logging
import SeismoModel
import SeismoStore
@testable import SeismoExport

func makeTempDirectory(_ name: String = #function) -> String {
    let base = NSTemporaryDirectory() + "seismo-export-tests/" + name.filter { $0.isLetter || $0.isNumber } + "-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
    return base
}

let quietLogger: Logger = {
    var l = Logger(label: "test")
    l.logLevel = .critical
    return l
}()

let staleBits: UInt64 = 0x7ff0_0000_0000_0002
/// Seconds of the test data: 1_800_000_000 is a multiple of 60, so a 60 s span seals
/// [t0, t0+60), [t0+60, t0+120), …
let t0: Int64 = 1_800_000_000

/// Opens a store with 60 s segments and appends `series` (seconds relative to t0).
func makeStore(_ dir: String, _ series: [(labels: [(name: String, value: String)], cells: [(Int64, Double)])]) throws -> Store {
    var config = StoreConfig(dataDirectory: dir)
    config.segmentSpanSeconds = 60
    config.headWindowSeconds = 3600
    let store = try Store(config: config, logger: quietLogger)
    store.start()
    var b = WriteBatch()
    for s in series { b.append(labels: s.labels, samples: s.cells.map { ((t0 + $0.0) * 1000 + 250, $0.1) }) }
    let done = DispatchSemaphore(value: 0)
    try store.append(b, nowMs: (t0 + 100_000) * 1000) { _ in done.signal() }
    done.wait()
    return store
}

func labels(_ name: String, _ extra: (String, String)...) -> [(name: String, value: String)] {
    ([("__name__", name)] + extra.map { (name: $0.0, value: $0.1) }).sorted { $0.name < $1.name }
}

/// Runs an export into memory.
func export(_ source: ExportSource, _ configure: (inout ExportOptions) -> Void) throws -> (bytes: [UInt8], summary: ExportSummary, job: ExportJob) {
    var o = ExportOptions()
    configure(&o)
    let job = try ExportJob.prepare(source: source, options: o)
    var out: [UInt8] = []
    let summary = try job.run(output: { out.append(contentsOf: $0) })
    return (out, summary, job)
}

func csvLines(_ bytes: [UInt8]) -> [String] {
    String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
}
