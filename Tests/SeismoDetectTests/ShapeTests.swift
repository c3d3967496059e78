import XCTest
@testable import SeismoDetect
import SeismoTestSupport

/// The classic anomaly shapes on synthetic series, with concrete thresholds.
/// Each series is 2,000 samples of N(100, 1) noise with the event at 1,500,
/// long enough for both detectors' warm-up and long-run statistics.
final class ShapeTests: XCTestCase {
    let eventAt = 1_500

    func scores(_ kind: DetectorKind, _ values: [Double]) -> [Double?] {
        var d = SeriesDetector(kind: kind, isCounter: false)
        return feed(&d, values)
    }

    func testQuietNoiseStaysBelowHalf() {
        for kind in DetectorKind.allCases {
            for seed: UInt64 in [1, 2, 3] {
                let s = scores(kind, noise(count: 5_000, seed: seed))
                // The first few hundred samples still learn the spread.
                XCTAssertLessThan(s.maxScore(500..<5_000), 0.5, "\(kind) seed \(seed)")
            }
        }
    }

    func testSpikeScoresAbove0_9() {
        for kind in DetectorKind.allCases {
            var v = noise(count: 2_000)
            v[eventAt] += 30  // 30 sd
            let s = scores(kind, v)
            XCTAssertGreaterThan(s[eventAt] ?? 0, 0.9, "\(kind)")
            XCTAssertLessThan(s.maxScore(500..<eventAt), 0.5, "\(kind) before the spike")
        }
    }

    func testStepIsDetectedPromptly() {
        for kind in DetectorKind.allCases {
            var v = noise(count: 2_000)
            for i in eventAt..<v.count { v[i] += 10 }
            let s = scores(kind, v)
            // 10 sd: both detectors cross the firing level (0.5) within 3 samples.
            XCTAssertGreaterThanOrEqual(s.maxScore(eventAt..<eventAt + 3), 0.5, "\(kind)")
            XCTAssertLessThan(s.maxScore(500..<eventAt), 0.5, "\(kind) before the step")
        }
    }

    func testRampIsDetectedWhileItIsRunning() {
        // 0.2 sd per sample: invisible sample to sample (noise is 1 sd), 20 sd
        // after 100 samples. Adaptive only: the baseline's EW-MAD grows with its
        // own lag behind a steady ramp, so its z saturates near 1 (documented
        // limitation; see testBaselineAdaptsToASteadyRamp).
        for kind in [DetectorKind.adaptive] {
            var v = noise(count: 2_000)
            for i in eventAt..<v.count { v[i] += 0.2 * Double(i - eventAt) }
            let s = scores(kind, v)
            XCTAssertLessThan(s.maxScore(eventAt..<eventAt + 5), 0.5, "\(kind) fired before the ramp mattered")
            XCTAssertGreaterThanOrEqual(s.maxScore(eventAt..<eventAt + 100), DetectorParameters.default.fireLevel, "\(kind) missed the ramp")
        }
    }

    func testBaselineAdaptsToASteadyRamp() {
        var v = noise(count: 2_000)
        for i in eventAt..<v.count { v[i] += 0.2 * Double(i - eventAt) }
        XCTAssertLessThan(scores(.baseline, v).maxScore(eventAt..<v.count), 0.5)
    }

    func testFlatLineDoesNotAlert() {
        for kind in DetectorKind.allCases {
            for level in [0.0, 1.0, 12_345.678] {
                let s = scores(kind, Array(repeating: level, count: 3_000))
                XCTAssertEqual(s.maxScore(0..<3_000), 0, accuracy: 1e-9, "\(kind) at \(level)")
            }
        }
    }

    func testFlatLineWithRoundingWigglesStaysQuiet() {
        // A gauge stuck at 1000 that jitters in the last digit: relative noise 1e-6.
        for kind in DetectorKind.allCases {
            var rng = SplitMix(state: 5)
            let v = (0..<3_000).map { _ in 1_000 + 0.001 * Double(rng.next() % 2) }
            XCTAssertLessThan(scores(kind, v).maxScore(200..<3_000), 0.5, "\(kind)")
        }
    }

    func testFlatLineThenRealChangeAlerts() {
        for kind in DetectorKind.allCases {
            var v = Array(repeating: 50.0, count: 2_000)
            for i in eventAt..<v.count { v[i] = 80 }
            XCTAssertGreaterThan(scores(kind, v).maxScore(eventAt..<eventAt + 3), 0.9, "\(kind)")
        }
    }

    func testAdaptiveFiresOnceForAClusteredAnomaly() {
        // Ten spikes in 50 samples are one incident: the refractory period keeps
        // the later ones from counting as new alerts.
        var v = noise(count: 2_000)
        for k in 0..<10 { v[eventAt + 5 * k] += 30 }
        let s = scores(.adaptive, v)
        let fired = s[eventAt..<eventAt + 50].filter { ($0 ?? 0) >= DetectorParameters.default.fireLevel }.count
        XCTAssertEqual(fired, 1)
    }

    func testScoresAreAlwaysInUnitInterval() {
        var v = noise(count: 3_000, sd: 5)
        for i in stride(from: 600, to: 3_000, by: 97) { v[i] *= -3 }
        for kind in DetectorKind.allCases {
            for s in scores(kind, v).compactMap({ $0 }) {
                XCTAssertTrue((0...1).contains(s), "\(kind) produced \(s)")
            }
        }
    }
}
