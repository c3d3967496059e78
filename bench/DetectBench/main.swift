// `seismo-detectbench pipeline`: the watch pipeline's detector loop (PipelineLoop.swift).
// Otherwise: ns per SeriesDetector.update for both detectors, gauges and counters, over
// many series updated round-robin (the ingest pattern: one sample of every
// series per second), so the state array does not sit in L1 as a single
// detector would. Usage: seismo-detectbench [series] [samples] [step seconds]
// A step of 300 over 1,000 samples spans 3.5 days, so the adaptive detector's
// daily profile is in use (it needs two midnights) for the later samples.
//
// Two clocks: wall time, and this thread's CPU time. On a machine shared with
// other jobs the wall clock also counts the time the thread waited for a core;
// the CPU clock does not, so it is the figure to compare across runs there.
import Dispatch
import SeismoDetect
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func threadCPUNanoseconds() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
}

let args = CommandLine.arguments
if args.count > 1 && args[1] == "pipeline" {
    runPipelineLoop(series: args.count > 2 ? Int(args[2]) ?? 8000 : 8000, rounds: args.count > 3 ? Int(args[3]) ?? 300 : 300)
    exit(0)
}
let seriesCount = args.count > 1 ? Int(args[1]) ?? 10_000 : 10_000
let seconds = args.count > 2 ? Int(args[2]) ?? 300 : 300
let step = args.count > 3 ? Int64(args[3]) ?? 1 : 1

/// Cheap deterministic per-sample values (xorshift) so value generation costs
/// little next to the detector itself.
struct XorShift {
    var s: UInt64
    mutating func next() -> Double {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17
        return Double(s >> 40) * (1.0 / Double(1 << 24))
    }
}

func measure(kind: DetectorKind, counter: Bool) -> (nsPerUpdate: Double, cpuNsPerUpdate: Double, checksum: Double) {
    var detectors = (0..<seriesCount).map { _ in SeriesDetector(kind: kind, isCounter: counter) }
    var rng = XorShift(s: 0x1234_5678_9abc_def1)
    var totals = [Double](repeating: 0, count: seriesCount)
    var checksum = 0.0
    let start = DispatchTime.now().uptimeNanoseconds
    let cpuStart = threadCPUNanoseconds()
    for second in 0..<seconds {
        let t = 1_700_000_000 + Int64(second) * step
        for i in 0..<seriesCount {
            let noise = rng.next()
            let v: Double
            if counter { totals[i] += 10 + noise; v = totals[i] } else { v = 50 + noise }
            if let s = detectors[i].update(second: t, value: v) { checksum += s }
        }
    }
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
    let cpu = Double(threadCPUNanoseconds() - cpuStart)
    let updates = Double(seriesCount * seconds)
    return (elapsed / updates, cpu / updates, checksum)
}

print("series \(seriesCount), samples \(seconds), step \(step) s, updates per row \(seriesCount * seconds), state \(MemoryLayout<SeriesDetector>.stride) bytes/series")
print("detector   input     ns/update   cpu ns/update   updates/s/core   checksum")
for kind in DetectorKind.allCases {
    for counter in [false, true] {
        let r = measure(kind: kind, counter: counter)
        let kindText = kind.rawValue.rightPadded(10)
        let inputText = (counter ? "counter" : "gauge").rightPadded(8)
        let ns = oneDecimal(r.nsPerUpdate), cpu = oneDecimal(r.cpuNsPerUpdate)
        print("\(kindText) \(inputText) \(ns.leftPadded(10))   \(cpu.leftPadded(13))   \(String(Int(1e9 / r.cpuNsPerUpdate)).leftPadded(14))   \(Int(r.checksum))")
    }
}

// One group holding every series (the built-in rule's instance group), 200 s of updates (past the count combination's 120 s warm-up).
measureGroups(members: min(seriesCount, 3_000), seconds: 200)

func oneDecimal(_ x: Double) -> String {
    let tenths = Int((x * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
}

extension StringProtocol {
    func leftPadded(_ width: Int) -> String {
        String(repeating: " ", count: Swift.max(0, width - count)) + self
    }
    func rightPadded(_ width: Int) -> String {
        self + String(repeating: " ", count: Swift.max(0, width - count))
    }
}
