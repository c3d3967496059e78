import SeismoAlerting
import SeismoModel
import XCTest
@testable import SeismoReport

final class ReportTests: XCTestCase {
    func testAlertHistoryPairsFiringAndResolvePerAlert() {
        let spans = AlertHistory.spans([
            event(.resolved, 5),                   // resolve without a firing in the log: dropped
            event(.firing, 10), event(.firing, 12, instance: "b"),
            event(.resolved, 20), event(.firing, 30),
        ])
        XCTAssertEqual(spans.map(\.firedSecond), [10, 12, 30])
        XCTAssertEqual(spans.map(\.resolvedSecond), [20, nil, nil])
    }

    func testEvaluationCountsDelayFalseAlertsAndMisses() {
        let alerts = AlertHistory.spans([event(.firing, 105), event(.resolved, 150), event(.firing, 400), event(.resolved, 420),
                                         event(.firing, 500, instance: "b")])
        let ev = Evaluation(alerts: alerts, intervals: [interval(100, 160), interval(200, 260), interval(510, 520)], openEnd: 600)
        XCTAssertEqual(ev.intervals.map(\.delaySeconds), [5, nil, -10])  // the open alert was already firing
        XCTAssertEqual(ev.missed, 1)
        XCTAssertEqual(ev.detected, 2)
        XCTAssertEqual(ev.falseAlerts, [1])
        XCTAssertEqual(ev.meanDelaySeconds, -2.5)
    }

    func testEmptyRangeRendersAValidPage() throws {
        let report = try ReportBuilder.build(source: FakeSource(session: FakeSession()), events: [], options: ReportOptions())
        let html = report.html
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertTrue(html.contains("No alerts and no labeled anomaly intervals"))
        XCTAssertFalse(html.lowercased().contains("<script"))
        for svg in svgBlocks(html) { XCTAssertNil(xmlProblem(svg)) }
        XCTAssertEqual(report.evaluation.intervals.count, 0)
    }

    func testReportPlotsTheAlertsTopSeriesAndEscapesLabelValues() throws {
        let session = FakeSession()
        let odd = "x</svg><script>alert(1)</script>&"
        var hot: [Int64: Double] = [:], calm: [Int64: Double] = [:], score: [Int64: Double] = [:]
        for t in Int64(1000)..<2000 {
            hot[t] = (1300..<1400).contains(t) ? 50 : 10
            calm[t] = 3
            score[t] = (1300..<1400).contains(t) ? 0.97 : 0.1
        }
        let hotLabels = ["__name__": "mem", "instance": "a", "path": odd]
        session.add(["__name__": "cpu", "instance": "a"], calm)
        session.add(hotLabels, hot)
        session.add(["__name__": "seismo:score", "rule": "R", "instance": "a"], score)
        session.add(["__name__": "other", "instance": "b"], calm)  // another group: never plotted
        var source = FakeSource(session: session)
        source.intervals = [interval(1290, 1400), interval(1600, 1620, type: "unseen")]
        var options = ReportOptions()
        options.fromMs = 1_000_000
        options.toMs = 2_000_000
        options.padSeconds = 60
        options.rules = RuleSet(rules: [AlertRule(name: "R", threshold: 0.9)])
        let report = try ReportBuilder.build(source: source, events: [event(.firing, 1302, series: hotLabels),
                                                                      event(.resolved, 1405, series: hotLabels)],
                                             options: options)
        XCTAssertEqual(report.alerts.count, 1)
        XCTAssertEqual(report.evaluation.detected, 1)
        XCTAssertEqual(report.evaluation.missed, 1)
        XCTAssertEqual(report.evaluation.intervals.first?.delaySeconds, 12)
        let alertPanel = try XCTUnwrap(report.panels.first { $0.title.hasPrefix("Alert") })
        XCTAssertEqual(alertPanel.data.first?.label, LabelKey.selector(hotLabels.map { (name: $0.key, value: $0.value) }.sorted { $0.name < $1.name }))
        XCTAssertFalse(alertPanel.data.contains { $0.label.contains("other") })
        XCTAssertEqual(alertPanel.threshold, 0.9)
        XCTAssertEqual(alertPanel.from, 1302 - 60)
        XCTAssertEqual(alertPanel.data.first?.points.count, 1405 + 60 - (1302 - 60) + 1)

        let html = report.html
        XCTAssertFalse(html.contains("<script>"), "label value leaked as markup")
        XCTAssertTrue(html.contains("x&lt;/svg&gt;&lt;script&gt;"))
        let svgs = svgBlocks(html)
        XCTAssertEqual(svgs.count, 5)  // overview, alert (series + score), missed interval (series + score)
        for svg in svgs { XCTAssertNil(xmlProblem(svg)) }
    }

    func testMatchKeepsOnlyAlertsWhoseTopSeriesMatches() throws {
        let session = FakeSession()
        session.add(["__name__": "mem", "instance": "a"], [1000: 1])
        var options = ReportOptions()
        options.selectors = [try SeriesSelector.parse("{__name__=\"cpu\"}")]
        let report = try ReportBuilder.build(source: FakeSource(session: session),
                                             events: [event(.firing, 1000, series: ["__name__": "mem", "instance": "a"])],
                                             options: options)
        XCTAssertEqual(report.alerts.count, 0)
    }
}
