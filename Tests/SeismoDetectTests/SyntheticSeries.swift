@testable import SeismoDetect

/// Deterministic noise for the synthetic series: tests must give the same
/// scores on every run and platform, so no SystemRandomNumberGenerator.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Approximately standard normal (sum of 12 uniforms − 6): bounded tails
    /// (|z| ≤ 6) keep "quiet noise" genuinely quiet in assertions.
    mutating func gaussian() -> Double {
        var s = 0.0
        for _ in 0..<12 { s += Double(next() >> 11) / Double(1 << 53) }
        return s - 6
    }
}

/// Feeds `values` at one sample per `step` seconds and returns the scores.
func feed(_ detector: inout SeriesDetector, _ values: [Double], start: Int64 = 1_000, step: Int64 = 1) -> [Double?] {
    values.enumerated().map { i, v in detector.update(second: start + Int64(i) * step, value: v) }
}

func noise(count: Int, mean: Double = 100, sd: Double = 1, seed: UInt64 = 42) -> [Double] {
    var rng = SplitMix64(state: seed)
    return (0..<count).map { _ in mean + sd * rng.gaussian() }
}

extension Array where Element == Double? {
    /// Largest non-nil score in `range` (0 if none).
    func maxScore(_ range: Range<Int>) -> Double {
        self[range].compactMap { $0 }.max() ?? 0
    }
}
