// Hot-path micro-benchmark: decode → validate → append, per stage, on a captured
// 2000-sample Prometheus 2.42 body. Build and run (release):
//
//     ENABLE_BENCHMARKS=1 swift run -c release seismo-hotpath [iterations]
//
// Prints wall-clock ns per sample for each stage. Wall clock on a shared machine is
// noisy: compare runs made back to back, or count instructions with callgrind.
import Foundation
import Logging
import SeismoModel
import SeismoStore
import SeismoWire

let iterations = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 2000 : 2000
let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
let fixture = here.appendingPathComponent("../../Tests/Fixtures/remote-write/prom242_batch2000_01.bin").standardized
let body = try Data(contentsOf: fixture)

func nsPerSample(_ start: ContinuousClock.Instant, _ samples: Int) -> Double {
    let d = ContinuousClock.now - start
    let ns = Double(d.components.seconds) * 1e9 + Double(d.components.attoseconds) / 1e9
    return ns / Double(samples)
}

let decoder = WriteRequestDecoder()
var batch = WriteBatch()
var scratch: [UInt8] = []

// 1. snappy only
var t = ContinuousClock.now
for _ in 0..<iterations {
    try body.withUnsafeBytes { try Snappy.decompress($0, maxDecodedBytes: 64 << 20, into: &scratch) }
}
let samplesPerBody = 2000
print(String(format: "snappy decompress         %7.1f ns/sample", nsPerSample(t, iterations * samplesPerBody)))

// 2. full decode (snappy + protobuf-c + validation + key building)
t = ContinuousClock.now
for _ in 0..<iterations {
    batch.removeAll(keepingCapacity: true)
    try body.withUnsafeBytes { try decoder.decode(snappyBody: $0, into: &batch) }
}
print(String(format: "decode (snappy+pb+checks) %7.1f ns/sample", nsPerSample(t, iterations * samplesPerBody)))

// 3. store append (head + WAL encoding; fsync on the commit thread, not waited for)
let dir = NSTemporaryDirectory() + "seismo-hotpath-\(getpid())"
var config = StoreConfig(dataDirectory: dir)
config.headWindowSeconds = 3600
config.maxPendingWALBytes = Int.max
var logger = Logger(label: "bench")
logger.logLevel = .error
let store = try Store(config: config, logger: logger)
store.start()
let done = DispatchSemaphore(value: 0)
t = ContinuousClock.now
for i in 0..<iterations {
    try store.append(batch, nowMs: 1_900_000_000_000) { _ in if i == iterations - 1 { done.signal() } }
}
let appendNs = nsPerSample(t, iterations * batch.sampleCount)
done.wait()
print(String(format: "store append (lock+head+WAL encode) %7.1f ns/sample", appendNs))
store.close()
try? FileManager.default.removeItem(atPath: dir)
