import Testing
@testable import SeismoExport

@Suite struct IntervalJoinTests {
    func anomaly(_ from: Int64, _ to: Int64) -> LabelInterval {
        LabelInterval(fromMs: from * 1000, toMs: to * 1000, isAnomaly: true, anomalyType: "a")
    }

    func state(_ from: Int64, _ to: Int64, _ s: String) -> LabelInterval {
        LabelInterval(fromMs: from * 1000, toMs: to * 1000, isAnomaly: false, state: s)
    }

    @Test func halfOpenAtRowBoundaries() {
        let j = IntervalJoin([anomaly(102, 105), anomaly(105, 106)])
        let l = j.labels(fromSecond: 100, rows: 8, step: 1)
        #expect(l.anomaly == [0, 0, 1, 1, 1, 1, 0, 0])
    }

    @Test func fractionalBoundsCoverRowsWhoseSecondIsInside() {
        // [101.5, 103.2): rows 102 and 103 (103*1000 < 103200) are inside; row 101 is not.
        let j = IntervalJoin([LabelInterval(fromMs: 101_500, toMs: 103_200, isAnomaly: true)])
        #expect(j.labels(fromSecond: 100, rows: 5, step: 1).anomaly == [0, 0, 1, 1, 0])
    }

    @Test func overlappingAndOutsideTheRange() {
        let j = IntervalJoin([anomaly(90, 101), anomaly(103, 108), anomaly(104, 106), anomaly(200, 300), anomaly(0, 50)])
        #expect(j.labels(fromSecond: 100, rows: 6, step: 1).anomaly == [1, 0, 0, 1, 1, 1])
    }

    @Test func nestedStateWinsThenOuterResumes() {
        let j = IntervalJoin([state(100, 110, "Kafka running"), state(103, 105, "Generating anomaly"), state(95, 101, "Waiting")])
        let s = j.labels(fromSecond: 99, rows: 12, step: 1).state
        // Row 100: "Kafka running" started after "Waiting", so it wins while both cover it.
        let (w, k, g) = ("Waiting", "Kafka running", "Generating anomaly")
        #expect(s == [w, k, k, k, g, g, k, k, k, k, k, nil])
    }

    @Test func equalStartsLaterGivenWins() {
        let j = IntervalJoin([state(0, 10, "first"), state(0, 10, "second")])
        #expect(j.labels(fromSecond: 0, rows: 1, step: 1).state == ["second"])
    }

    @Test func stepAnyAnomalyLastState() {
        let j = IntervalJoin([anomaly(109, 110), state(100, 104, "a"), state(104, 120, "b")])
        // Rows of 5 s: [100,105) [105,110) [110,115).
        let l = j.labels(fromSecond: 100, rows: 3, step: 5)
        #expect(l.anomaly == [0, 1, 0])
        #expect(l.state == ["b", "b", "b"])
        let k = IntervalJoin([state(100, 104, "a")]).labels(fromSecond: 100, rows: 2, step: 5)
        #expect(k.state == [nil, nil])  // the last second of [100,105) is 104, outside [100,104)
    }
}
