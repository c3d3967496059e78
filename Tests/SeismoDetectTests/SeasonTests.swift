import XCTest
@testable import SeismoDetect
import SeismoTestSupport

/// The adaptive detector's hour-of-day profile on synthetic daily series
/// sampled every 5 minutes (288 samples a day, NAB's step).
final class SeasonTests: XCTestCase {
    let step: Int64 = 300
    let perDay = 288
    /// Midnight UTC, so sample i is at hour (i mod 288) / 12.
    let start: Int64 = 1_700_006_400

    /// 20 at night, 80 from 08:00 to 18:00, plus N(0, 1) noise: art_daily's shape.
    func dailySeries(days: Int, seed: UInt64 = 7) -> [Double] {
        var rng = SplitMix(state: seed)
        return (0..<days * perDay).map { i in
            let hour = (i % perDay) / 12
            return (8..<18).contains(hour) ? 80 + rng.gaussian() : 20 + rng.gaussian()
        }
    }

    func scores(_ values: [Double], _ parameters: DetectorParameters = .default) -> [Double?] {
        var d = SeriesDetector(kind: .adaptive, isCounter: false, parameters: parameters)
        return feed(&d, values, start: start, step: step)
    }

    func testMissingDailyPeakIsDetected() {
        // Day 9 keeps its night level all day: every value is inside the usual
        // range, so only a comparison with the same hour on earlier days sees it.
        var v = dailySeries(days: 12)
        let day = 9 * perDay
        for i in day + 8 * 12..<day + 18 * 12 { v[i] = 20 + (v[i] - 80) }
        let fire = DetectorParameters.default.fireLevel
        XCTAssertGreaterThanOrEqual(scores(v).maxScore(day + 8 * 12..<day + 10 * 12), fire, "missed the absent peak")

        var plain = DetectorParameters.default
        plain.seasonRatio = 0  // profile off: the old detector's view
        XCTAssertLessThan(scores(v, plain).maxScore(day + 8 * 12..<day + 18 * 12), fire,
                          "without the profile the absent peak should be invisible; the test no longer shows the feature")
    }

    func testRegularDailyCycleDoesNotAlertEveryDay() {
        // Days 4–11 hold sixteen 60-sd edges, all expected. The jump feature
        // still sees each edge (it has no daily memory), so scores near 0.4 are
        // normal, but the profile must not turn the expected edges into alerts:
        // at most one firing, and no more than without the profile.
        let fire = DetectorParameters.default.fireLevel
        func firings(_ parameters: DetectorParameters) -> Int {
            scores(dailySeries(days: 12), parameters)[4 * perDay..<12 * perDay].filter { ($0 ?? 0) >= fire }.count
        }
        var plain = DetectorParameters.default
        plain.seasonRatio = 0
        XCTAssertLessThanOrEqual(firings(.default), 1)
        XCTAssertLessThanOrEqual(firings(.default), firings(plain))
    }

    func testProfileIsNotUsedBeforeTwoMidnights() {
        // One day of data: the first morning edge is news and must alert (the
        // profile has seen no morning yet), as it did before the profile existed.
        let s = scores(dailySeries(days: 1))
        XCTAssertGreaterThanOrEqual(s.maxScore(8 * 12..<8 * 12 + 3), DetectorParameters.default.fireLevel)
    }

    func testSeriesWithoutACycleKeepsThePlainLevelFeature() {
        // Ten days of noise at 5-minute steps: the profile is a noisier copy of
        // the mean and must not make the quiet series alert.
        for seed: UInt64 in [1, 2] {
            let s = scores(noise(count: 10 * perDay, seed: seed))
            XCTAssertLessThan(s.maxScore(500..<10 * perDay), 0.5, "seed \(seed)")
        }
    }

    func testBFloat16BinsRoundToNearest() {
        var p = SeasonProfile()
        for (i, v) in [Float(0), 1, -1, 60, -0.015625, 123_456_789, 1.0039062].enumerated() {
            p.setOffset(i, v)
            let back = p.offset(i)
            XCTAssertEqual(back, v, accuracy: abs(v) / 256, "bin \(i)")
        }
        // 1 + 3/512 lies past the midpoint between 1 and 1 + 1/128: rounds up, not down.
        p.setOffset(23, 1 + 3 / 512)
        XCTAssertEqual(p.offset(23), 1 + 1 / 128)
        XCTAssertEqual(p.offset(0), 0, "neighbouring bins are untouched")
    }

    func testHourAndDayOfNegativeSecondsRoundDown() {
        XCTAssertEqual(SeasonProfile.bin(of: 0), 0)
        XCTAssertEqual(SeasonProfile.bin(of: 86_399), 23)
        XCTAssertEqual(SeasonProfile.bin(of: -1), 23)
        XCTAssertEqual(SeasonProfile.day(of: -1), -1)
        XCTAssertEqual(SeasonProfile.day(of: -86_400), -1)
        XCTAssertEqual(SeasonProfile.day(of: -86_401), -2)
        XCTAssertEqual(SeasonProfile.day(of: 86_400), 1)
    }
}
