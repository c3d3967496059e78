import Foundation

/// Entry point for the `seismo-headbench` micro-benchmark (built only with
/// ENABLE_BENCHMARKS). It lives in the module so `Head.put` is inlined into the loop
/// exactly as in `Store.append`; the benchmark target only prints the figures.
public enum HeadPutBenchmark {
    public struct Result: Sendable {
        public var puts: Int
        public var nanoseconds: Double
        public var headSamples: Int
    }

    /// Writes `series` × `seconds` samples (1 Hz, counter-like values, series in time
    /// order as Prometheus sends them) into a fresh head with `span`-second segments.
    /// Every `lateEvery`-th put (0 = none) is replaced by a rewrite of a cell
    /// `lateBySeconds` back, the out-of-order case.
    public static func run(series: Int, seconds: Int, span: Int64 = 3600, startSecond: Int64 = 1_764_547_200,
                           lateEvery: Int = 0, lateBySeconds: Int64 = 100) -> Result {
        let head = Head(span: span)
        var puts = 0
        let clock = ContinuousClock()
        let began = clock.now
        for t in 0..<Int64(seconds) {
            let ms = (startSecond + t) * 1000
            for s in 0..<series {
                puts += 1
                let value = Double(s) * 1000 + Double(t) * (0.5 + Double(s % 7))
                if lateEvery > 0 && puts % lateEvery == 0 && t >= lateBySeconds {
                    head.put(series: UInt32(s), timestampMs: ms - lateBySeconds * 1000 + 1, valueBits: value.bitPattern)
                } else {
                    head.put(series: UInt32(s), timestampMs: ms, valueBits: value.bitPattern)
                }
            }
        }
        let elapsed = clock.now - began
        let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        return Result(puts: puts, nanoseconds: ns, headSamples: head.sampleCount)
    }
}
