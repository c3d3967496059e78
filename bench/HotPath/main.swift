// Hot-path micro-benchmark: decode → validate → append, per stage, on a captured
// 2000-sample Prometheus 2.42 body. Build and run (release):
//
//     ENABLE_BENCHMARKS=1 swift run -c release seismo-hotpath [iterations]
//
// Prints wall-clock ns per sample for each stage, the old (protobuf-c) and new (walker)
// decoders side by side. Wall clock on a shared machine is
// noisy: compare runs made back to back, or count instructions with callgrind.
import Foundation
import Logging
import SeismoModel
import SeismoStore
import SeismoTestSupport
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

// The warm decoder is taught ids as the server teaches it the store's (a stand-in book
// here: the decode stage has no store), so from the second body on it names every
// series by id.
let decoder = WriteRequestDecoder()
let book = SeriesIdBook()
let oracle = ProtobufCWriteRequestDecoder()
let coldDecoder = WriteRequestDecoder(seriesCacheEntries: 0)
var batch = WriteBatch()
var scratch: [UInt8] = []
let samplesPerBody = 2000
try body.withUnsafeBytes { try decoder.decode(snappyBody: $0, into: &batch) }
book.learn(decoder, batch)

// `seismo-hotpath N only=old|walker|walker-cold` decodes N times with one decoder and
// nothing else, for instruction counts under callgrind.
if CommandLine.arguments.count > 2, CommandLine.arguments[2].hasPrefix("only=") {
    let which = CommandLine.arguments[2].dropFirst(5)
    for _ in 0..<iterations {
        batch.removeAll(keepingCapacity: true)
        try body.withUnsafeBytes { buf in
            switch which {
            case "old": try oracle.decode(snappyBody: buf, into: &batch)
            case "walker-cold": try coldDecoder.decode(snappyBody: buf, into: &batch)
            default: try decoder.decode(snappyBody: buf, into: &batch)
            }
        }
    }
    print("decoded \(iterations) × \(batch.sampleCount) samples with \(which)")
    exit(0)
}

// 1. snappy only
var t = ContinuousClock.now
for _ in 0..<iterations {
    try body.withUnsafeBytes { try Snappy.decompress($0, maxDecodedBytes: 64 << 20, into: &scratch) }
}
print(String(format: "snappy decompress         %7.1f ns/sample", nsPerSample(t, iterations * samplesPerBody)))

// 2. full decode (snappy + protobuf + validation + key building), old and new side by
// side: the decoders take turns in rounds, so machine noise hits both alike.
func timeDecode(_ run: (UnsafeRawBufferPointer, inout WriteBatch) throws -> Void, _ n: Int) throws -> Double {
    let start = ContinuousClock.now
    for _ in 0..<n {
        batch.removeAll(keepingCapacity: true)
        try body.withUnsafeBytes { try run($0, &batch) }
    }
    return nsPerSample(start, n * samplesPerBody)
}
let rounds = 5
var oldNs: [Double] = [], coldNs: [Double] = [], warmNs: [Double] = []
for _ in 0..<rounds {
    oldNs.append(try timeDecode({ try oracle.decode(snappyBody: $0, into: &$1) }, iterations / rounds))
    coldNs.append(try timeDecode({ try coldDecoder.decode(snappyBody: $0, into: &$1) }, iterations / rounds))
    warmNs.append(try timeDecode({ try decoder.decode(snappyBody: $0, into: &$1) }, iterations / rounds))
}
func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
let oldMedian = median(oldNs), coldMedian = median(coldNs), warmMedian = median(warmNs)
print(String(format: "decode, protobuf-c (old)  %7.1f ns/sample", oldMedian))
print(String(format: "decode, walker, no cache  %7.1f ns/sample  (%.2fx faster than old)", coldMedian, oldMedian / coldMedian))
print(String(format: "decode, walker, warm cache %6.1f ns/sample  (%.2fx faster than old)", warmMedian, oldMedian / warmMedian))
print("  (median of \(rounds) interleaved rounds of \(iterations / rounds) bodies; \(decoder.cachedSeries) series cached)")

// 3. store append (head + WAL encoding; fsync on the commit thread, not waited for), as
// the server does it: the first request names its series by key, the store assigns ids,
// the decoder learns them, and the timed requests name every series by id.
let dir = NSTemporaryDirectory() + "seismo-hotpath-\(getpid())"
var config = StoreConfig(dataDirectory: dir)
config.headWindowSeconds = 3600
config.maxPendingWALBytes = Int.max
var logger = Logger(label: "bench")
logger.logLevel = .error
let store = try Store(config: config, logger: logger)
store.start()
let storeDecoder = WriteRequestDecoder()
batch.removeAll(keepingCapacity: true)
try body.withUnsafeBytes { try storeDecoder.decode(snappyBody: $0, into: &batch) }
var ids = [UInt32](repeating: BatchSeries.unresolved, count: batch.series.count)
try ids.withUnsafeMutableBufferPointer { ids in
    _ = try store.append(batch, nowMs: 1_900_000_000_000, resolvedIds: ids.baseAddress) { _ in }
}
ids.withUnsafeBufferPointer { storeDecoder.learn($0) }
batch.removeAll(keepingCapacity: true)
try body.withUnsafeBytes { try storeDecoder.decode(snappyBody: $0, into: &batch) }
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
