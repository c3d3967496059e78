// Seal micro-benchmark: the graceful stop's seal of a head built from the ingest
// benchmark's bodies (bench/cache, made by bench/ingest.py), alone, as the server does it.
//
//     ENABLE_BENCHMARKS=1 swift build -c release --product seismo-sealbench
//     .build/release/seismo-sealbench [bodies-dir] [data-dir]
//
// The bodies are appended in the order the ingest benchmark's wrk threads send them (round
// by round, thread by thread) through `Store.append`, with the seal loop running, so the
// head is paged, frozen and spilled as in the server. Then `Store.close()` seals it; that
// call's CPU time and wall time are printed, per sealed sample.
//
// Instructions of the seal alone (the shared machine's timings move, instruction counts
// do not): callgrind collecting inside `Store.close()` only, on a copy without DWARF
// (valgrind 3.19 gives up on Swift's DWARF 5, see bench/callgrind-hotpath); ~2.5 min:
//     strip --strip-debug -o /tmp/sb .build/release/seismo-sealbench
//     valgrind --tool=callgrind --collect-atstart=no \
//         '--toggle-collect=$s11SeismoStore0B0C5closeyyF' /tmp/sb
// With hardware counters (not on this VM), `perf stat -D -1 --control fifo:CTL,ACK` and
// SEAL_PERF_CTL=CTL SEAL_PERF_ACK=ACK in the environment (mkfifo both first) count just
// around `close()`.
//
// The data directory is kept when given, so the segments two builds wrote can be compared
// byte for byte.
import Foundation
import Logging
import SeismoModel
import SeismoStore
import SeismoWire

let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
let args = CommandLine.arguments
let bodiesDir = args.count > 1 ? args[1] : here.appendingPathComponent("../cache/s8000_b2000_t4_r2000_node").standardized.path
let keep = args.count > 2
let dir = keep ? args[2] : NSTemporaryDirectory() + "seismo-sealbench-\(getpid())"

struct Manifest: Decodable {
    let threads: Int
    let rounds: Int
    let t0_ms: Int64
}
let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: bodiesDir + "/manifest.json")))

try? FileManager.default.removeItem(atPath: dir)
var config = StoreConfig(dataDirectory: dir)
config.headWindowSeconds = 3600  // the ingest benchmark's --head-window 1h
config.maxPendingWALBytes = Int.max
var logger = Logger(label: "sealbench")
logger.logLevel = .error
let store = try Store(config: config, logger: logger)
store.start()

// One decoder per stream, each taught the store's ids as the server's connections are.
let decoders = (0..<manifest.threads).map { _ in WriteRequestDecoder() }
var batch = WriteBatch()
var ids: [UInt32] = []
let nowMs = manifest.t0_ms + Int64(manifest.rounds) * 1000
let lastDone = DispatchSemaphore(value: 0)
var appended = 0
let buildStart = ContinuousClock.now
for round in 0..<manifest.rounds {
    for thread in 0..<manifest.threads {
        let path = bodiesDir + "/" + String(format: "s%02d_%06d.bin", thread, round)
        guard let body = FileManager.default.contents(atPath: path) else { continue }
        batch.removeAll(keepingCapacity: true)
        try body.withUnsafeBytes { try decoders[thread].decode(snappyBody: $0, into: &batch) }
        ids = [UInt32](repeating: BatchSeries.unresolved, count: batch.series.count)
        let last = round == manifest.rounds - 1 && thread == manifest.threads - 1
        let r = try ids.withUnsafeMutableBufferPointer { ids in
            try store.append(batch, nowMs: nowMs, resolvedIds: ids.baseAddress) { _ in if last { lastDone.signal() } }
        }
        appended += r.stored
        ids.withUnsafeBufferPointer { decoders[thread].learn($0) }
    }
}
// close() waits for queued writes anyway; the wait only keeps the seal's measurement
// apart from the last commits. Bounded: a run whose bodies bench/ingest.py regenerated
// under it (the cache is shared; copy it elsewhere for long comparisons) waited forever.
if lastDone.wait(timeout: .now() + 60) == .timedOut {
    print("warning: the last append's onDurable did not come within 60 s")
}
print("built the head: \(appended) samples in \(ContinuousClock.now - buildStart)")

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

/// Tells `perf stat --control` to start or stop counting, and waits for its ack.
func perfControl(_ command: String) {
    guard let ctl = ProcessInfo.processInfo.environment["SEAL_PERF_CTL"],
          let ack = ProcessInfo.processInfo.environment["SEAL_PERF_ACK"] else { return }
    let c = open(ctl, O_WRONLY)
    _ = (command + "\n").withCString { write(c, $0, strlen($0)) }
    close(c)
    let a = open(ack, O_RDONLY)
    var buffer = [UInt8](repeating: 0, count: 16)
    _ = read(a, &buffer, 16)
    close(a)
}

let cpu0 = cpuSeconds()
let wall0 = ContinuousClock.now
perfControl("enable")
store.close()
perfControl("disable")
let wall = ContinuousClock.now - wall0
let cpu = cpuSeconds() - cpu0
print(String(format: "seal: %.3f CPU-s (%.1f ns per sample), wall %@", cpu, cpu * 1e9 / Double(appended), "\(wall)"))
if !keep { try? FileManager.default.removeItem(atPath: dir) }
