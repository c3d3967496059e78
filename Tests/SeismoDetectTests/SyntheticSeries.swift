@testable import SeismoDetect
import SeismoTestSupport

/// Feeds `values` at one sample per `step` seconds and returns the scores.
func feed(_ detector: inout SeriesDetector, _ values: [Double], start: Int64 = 1_000, step: Int64 = 1) -> [Double?] {
    values.enumerated().map { i, v in detector.update(second: start + Int64(i) * step, value: v) }
}

func noise(count: Int, mean: Double = 100, sd: Double = 1, seed: UInt64 = 42) -> [Double] {
    var rng = SplitMix(state: seed)
    return (0..<count).map { _ in mean + sd * rng.gaussian() }
}

extension Array where Element == Double? {
    /// Largest non-nil score in `range` (0 if none).
    func maxScore(_ range: Range<Int>) -> Double {
        self[range].compactMap { $0 }.max() ?? 0
    }
}
