import XCTest
@testable import SeismoDetect
import SeismoTestSupport

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

/// The study's anomaly, again and again: the baseline must see every OOM ramp, not
/// only the first two, and still learn a lasting level shift.
final class BaselineRepeatedAnomalyTests: XCTestCase {
    func testThirtyOOMRampsAreEachSeenAtOnce() {
        var d = SeriesDetector(kind: .baseline, isCounter: false)
        var rng = SplitMix(state: 11)
        let mib = 1_048_576.0
        var t: Int64 = 0
        func feed(_ x: Double) -> Double { defer { t += 1 }; return d.update(second: t, value: x) ?? 0 }
        var delays: [Int?] = []
        for cycle in 0..<30 {
            // Workload: 20–60 s flat at 10 MiB with 30 kB of jitter (the first one past
            // the 30-sample warm-up: a ramp during the warm-up is learnt, not scored).
            for _ in 0..<(cycle == 0 ? 60 : Int.random(in: 23...63, using: &rng)) { _ = feed(10 * mib + Double.random(in: -30e3...30e3, using: &rng)) }
            // Anomaly: +20 MiB per second for 20 s, then the kill drops the usage.
            var seen: Int?
            for k in 1...20 where feed(10 * mib + Double(k) * 20 * mib) >= 0.9 && seen == nil { seen = k - 1 }
            _ = feed(5 * mib)
            delays.append(seen)
        }
        XCTAssertTrue(delays.allSatisfy { $0 != nil && $0! <= 3 }, "samples from onset to score ≥ 0.9 per cycle: \(delays)")
    }

    func testALastingLevelShiftIsLearntWithinFiveMinutes() {
        var d = SeriesDetector(kind: .baseline, isCounter: false)
        let v = noise(count: 300) + noise(count: 2_000, seed: 9).map { $0 + 50 }
        let s = v.enumerated().map { d.update(second: Int64($0.offset), value: $0.element) }
        XCTAssertGreaterThan(s[300] ?? 0, 0.9, "the shift itself is seen")
        XCTAssertLessThan(s.maxScore(600..<v.count), 0.5, "still anomalous 5 minutes after the shift")
    }

    /// The e2e test's shape: an exactly flat cgroup usage, a 5 s ramp to the kill, then
    /// the restarted process settles 14 % above the old level. The alert must be able to
    /// resolve (score < 0.5) during the next workload phase, not at the next incident.
    func testARestartSlightlyAboveTheOldLevelQuietsDownWithinSeconds() {
        var d = SeriesDetector(kind: .baseline, isCounter: false)
        var t: Int64 = 0
        func feed(_ x: Double) -> Double { defer { t += 1 }; return d.update(second: t, value: x) ?? 0 }
        for _ in 0..<40 { _ = feed(9_830_400) }
        for k in 1...5 { XCTAssertGreaterThan(feed(9_830_400 + Double(k) * 33_554_432), 0.9) }
        _ = feed(167_936)
        let after = (0..<40).map { _ in feed(11_210_752) }
        let quiet = after.firstIndex { $0 < 0.5 }
        XCTAssertNotNil(quiet, "still ≥ 0.5 40 s after the restart: \(after.suffix(3))")
        XCTAssertLessThan(quiet ?? 99, 30)
    }
}
