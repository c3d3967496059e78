import XCTest
@testable import SeismoDetect

/// The baseline's first minutes: what the built-in rule sees for every new series.
final class BaselineWarmupTests: XCTestCase {
    /// A new series alternating between two values (a gauge flipping 0/1, a counter rate
    /// of 0 and 1 per second) is normal from its first sample: once the warm-up is over
    /// it must score low at once, not after minutes of learning its spread.
    func testAlternatingSeriesIsQuietRightAfterWarmUp() {
        for base in [0.0, 1.0, 4096.0, 1e9] {
            var d = SeriesDetector(kind: .baseline, isCounter: false)
            var worst = 0.0
            for s in 0..<200 {
                if let score = d.update(second: Int64(s), value: base + Double(s % 2)) { worst = max(worst, score) }
            }
            XCTAssertLessThan(worst, 0.2, "base \(base)")
        }
    }

    /// A series that is noisy from the start learns its spread in the warm-up, so a
    /// jump of 30 spreads right after it still scores high.
    func testJumpRightAfterWarmUpScoresHigh() {
        var d = SeriesDetector(kind: .baseline, isCounter: false)
        let v = noise(count: 31, seed: 7)
        for (s, x) in v.enumerated() { _ = d.update(second: Int64(s), value: x) }
        let score = d.update(second: 31, value: 130) ?? 0
        XCTAssertGreaterThan(score, 0.9)
    }
}
