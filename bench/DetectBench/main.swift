// ns per SeriesDetector.update for both detectors, gauges and counters, over
// many series updated round-robin (the ingest pattern: one sample of every
// series per second), so the state array does not sit in L1 as a single
// detector would. Usage: seismo-detectbench [series] [seconds]
import Dispatch
import SeismoDetect

let args = CommandLine.arguments
let seriesCount = args.count > 1 ? Int(args[1]) ?? 10_000 : 10_000
let seconds = args.count > 2 ? Int(args[2]) ?? 300 : 300

/// Cheap deterministic per-sample values (xorshift) so value generation costs
/// little next to the detector itself.
struct XorShift {
    var s: UInt64
    mutating func next() -> Double {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17
        return Double(s >> 40) * (1.0 / Double(1 << 24))
    }
}

func measure(kind: DetectorKind, counter: Bool) -> (nsPerUpdate: Double, checksum: Double) {
    var detectors = (0..<seriesCount).map { _ in SeriesDetector(kind: kind, isCounter: counter) }
    var rng = XorShift(s: 0x1234_5678_9abc_def1)
    var totals = [Double](repeating: 0, count: seriesCount)
    var checksum = 0.0
    let start = DispatchTime.now().uptimeNanoseconds
    for second in 0..<seconds {
        let t = Int64(1_700_000_000 + second)
        for i in 0..<seriesCount {
            let noise = rng.next()
            let v: Double
            if counter { totals[i] += 10 + noise; v = totals[i] } else { v = 50 + noise }
            if let s = detectors[i].update(second: t, value: v) { checksum += s }
        }
    }
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
    return (elapsed / Double(seriesCount * seconds), checksum)
}

print("series \(seriesCount), seconds \(seconds), updates per row \(seriesCount * seconds), state \(MemoryLayout<SeriesDetector>.stride) bytes/series")
print("detector   input     ns/update   updates/s/core   checksum")
for kind in DetectorKind.allCases {
    for counter in [false, true] {
        let r = measure(kind: kind, counter: counter)
        let kindText = kind.rawValue.rightPadded(10)
        let inputText = (counter ? "counter" : "gauge").rightPadded(8)
        let ns = String(Int((r.nsPerUpdate * 10).rounded())).dropLast() + "." + String(Int((r.nsPerUpdate * 10).rounded())).suffix(1)
        print("\(kindText) \(inputText) \(ns.leftPadded(10))   \(String(Int(1e9 / r.nsPerUpdate)).leftPadded(14))   \(Int(r.checksum))")
    }
}

extension StringProtocol {
    func leftPadded(_ width: Int) -> String {
        String(repeating: " ", count: Swift.max(0, width - count)) + self
    }
    func rightPadded(_ width: Int) -> String {
        self + String(repeating: " ", count: Swift.max(0, width - count))
    }
}
