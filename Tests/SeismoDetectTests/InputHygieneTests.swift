import XCTest
@testable import SeismoDetect
import SeismoTestSupport

/// NaN, stale seconds, warm-up, gaps, counters and memory: the contract both
/// detectors share through `SeriesDetector.update`.
final class InputHygieneTests: XCTestCase {
    func testDetectorNames() {
        XCTAssertEqual(DetectorKind(rawValue: "baseline"), .baseline)
        XCTAssertEqual(DetectorKind(rawValue: "adaptive"), .adaptive)
    }

    func testStateFitsIn256Bytes() {
        XCTAssertLessThanOrEqual(MemoryLayout<SeriesDetector>.size, 168)
        XCTAssertLessThanOrEqual(MemoryLayout<SeriesDetector>.stride, 168)
    }

    /// The per-series states hold no parameters; the pipeline keeps a baseline
    /// state inline per watched series, so its size is paid per active series.
    func testPerSeriesStatesStaySmall() {
        XCTAssertLessThanOrEqual(MemoryLayout<BaselineState>.size, 53)
        XCTAssertLessThanOrEqual(MemoryLayout<AdaptiveState>.stride, 152)
        XCTAssertLessThanOrEqual(MemoryLayout<DetectorState>.stride, 160)
    }

    func testColdStartReturnsNilForTheWarmupSamples() {
        for kind in DetectorKind.allCases {
            let p = DetectorParameters.default
            let warm = kind == .baseline ? p.baselineWarmup : p.adaptiveWarmup
            var d = SeriesDetector(kind: kind, isCounter: false)
            let scores = feed(&d, noise(count: warm + 5))
            XCTAssertTrue(scores[0..<warm].allSatisfy { $0 == nil }, "\(kind) scored during warm-up")
            XCTAssertTrue(scores[warm...].allSatisfy { $0 != nil }, "\(kind) still silent after warm-up")
        }
    }

    func testNaNAndInfinityAreRefusedWithoutChangingState() {
        for kind in DetectorKind.allCases {
            var a = SeriesDetector(kind: kind, isCounter: false)
            var b = SeriesDetector(kind: kind, isCounter: false)
            let values = noise(count: 300)
            var scoresA: [Double?] = []
            var scoresB: [Double?] = []
            for (i, v) in values.enumerated() {
                let s = Int64(i) * 2
                scoresA.append(a.update(second: s, value: v))
                // b also sees garbage in the odd seconds between the real samples.
                XCTAssertNil(b.update(second: s - 1, value: i % 2 == 0 ? .nan : .infinity))
                scoresB.append(b.update(second: s, value: v))
            }
            XCTAssertEqual(scoresA, scoresB, "\(kind): NaN/inf input changed later scores")
        }
    }

    func testStaleAndRepeatedSecondsReturnNil() {
        var d = SeriesDetector(kind: .baseline, isCounter: false)
        _ = feed(&d, noise(count: 100))  // seconds 1000...1099
        XCTAssertNil(d.update(second: 1_099, value: 100))
        XCTAssertNil(d.update(second: 50, value: 100))
        XCTAssertNotNil(d.update(second: 1_100, value: 100))
    }

    func testMissingSecondsDoNotCreateAlerts() {
        // Irregular sampling (gaps of 1–30 s) of quiet noise: gaps are not events.
        for kind in DetectorKind.allCases {
            var d = SeriesDetector(kind: kind, isCounter: false)
            var rng = SplitMix(state: 7)
            var second: Int64 = 0
            var worst = 0.0
            for (i, v) in noise(count: 3_000, seed: 9).enumerated() {
                second += 1 + Int64(rng.next() % 30)
                if let s = d.update(second: second, value: v), i > 300 { worst = max(worst, s) }
            }
            XCTAssertLessThan(worst, 0.5, "\(kind) alerted on gaps")
        }
    }

    func testCounterRateUsesTheGap() {
        // 10/s with samples every 5 s, then a 60 s gap: the rate stays 10/s, so
        // a gap in a counter is not a spike.
        var d = SeriesDetector(kind: .baseline, isCounter: true)
        var value = 0.0
        var scores: [Double] = []
        var second: Int64 = 0
        var rng = SplitMix(state: 3)
        for i in 0..<400 {
            let step: Int64 = i == 300 ? 60 : 5
            second += step
            value += Double(step) * (10 + 0.5 * rng.gaussian())
            if let s = d.update(second: second, value: value), i > 100 { scores.append(s) }
        }
        XCTAssertLessThan(scores.max() ?? 1, 0.5)
    }

    func testCounterResetIsNotAnAlert() {
        for kind in DetectorKind.allCases {
            var d = SeriesDetector(kind: kind, isCounter: true)
            var rng = SplitMix(state: 11)
            var value = 5_000.0
            var after: [Double] = []
            for i in 0..<2_000 {
                let increase = 20 + 2 * rng.gaussian()
                // Process restart at i = 1500: the counter starts again from 0.
                value = i == 1_500 ? increase : value + increase
                if let s = d.update(second: Int64(i), value: value), i >= 1_500 { after.append(s) }
            }
            XCTAssertLessThan(after.max() ?? 1, 0.5, "\(kind) alerted on a counter reset")
        }
    }

    func testCounterRule() {
        XCTAssertTrue(CounterRule.isCounter(metricName: "http_requests_total", metadataType: nil))
        XCTAssertTrue(CounterRule.isCounter(metricName: "anything", metadataType: "counter"))
        XCTAssertTrue(CounterRule.isCounter(metricName: "rpc_duration_seconds_count", metadataType: "histogram"))
        XCTAssertTrue(CounterRule.isCounter(metricName: "rpc_duration_seconds_bucket", metadataType: "histogram"))
        XCTAssertFalse(CounterRule.isCounter(metricName: "rpc_duration_seconds_sum", metadataType: "histogram"))
        XCTAssertFalse(CounterRule.isCounter(metricName: "node_memory_bytes", metadataType: nil))
        XCTAssertFalse(CounterRule.isCounter(metricName: "weird_total", metadataType: "gauge"))
        XCTAssertFalse(CounterRule.isCounter(metricName: "http_requests_created", metadataType: "counter"))
        XCTAssertFalse(CounterRule.isCounter(metricName: "queue_bucket", metadataType: "gaugehistogram"))
    }
}
