import Foundation
import XCTest
@testable import SeismoAlerting

final class AlertEventLogTests: XCTestCase {
    private func tempDir() -> String {
        let d = NSTemporaryDirectory() + "seismo-alert-log-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    private func sample(_ kind: AlertEvent.Kind, _ second: Int64) -> AlertEvent {
        AlertEvent(kind: kind, rule: "R", labels: ["alertname": "R", "instance": "i\"1"], group: ["instance": "i\"1"],
                   series: ["__name__": "m", "instance": "i\"1"], score: .nan, second: second,
                   time: Date(timeIntervalSince1970: 1_800_000_000.5))
    }

    func testRoundTripAndTornTailIsSkippedAndNotGluedToTheNextRecord() throws {
        let dir = tempDir()
        let log = AlertEventLog(dataDirectory: dir)
        XCTAssertEqual(try log.read().events.count, 0)  // no file yet
        try log.append([sample(.firing, 10)])
        // A crash in the middle of a write leaves half a line.
        let h = try XCTUnwrap(FileHandle(forWritingAtPath: log.path))
        h.seekToEndOfFile()
        h.write(Data("{\"kind\":\"resolved\",\"ru".utf8))
        h.closeFile()
        XCTAssertEqual(try log.read().events.count, 1)
        XCTAssertEqual(try log.read().skippedLines, 1)
        try log.append([sample(.resolved, 20)])
        let (events, skipped) = try log.read()
        XCTAssertEqual(events.map(\.second), [10, 20])
        XCTAssertEqual(events.map(\.kind), [.firing, .resolved])
        XCTAssertEqual(skipped, 1)
        XCTAssertNil(events[0].score)  // NaN is written as null
        XCTAssertEqual(events[0].labels["instance"], "i\"1")
        XCTAssertEqual(events[0].time.timeIntervalSince1970, 1_800_000_000.5, accuracy: 0.001)
    }

    func testEvaluatorReportsEachTransitionOnceAndNotResends() {
        let rule = AlertRule(name: "R", threshold: 0.9, forSeconds: 0, resolveThreshold: 0.5, resolveForSeconds: 2)
        let ev = AlertEvaluator(rules: RuleSet(rules: [rule]), generatorURL: "")
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let group = [(name: "instance", value: "a")]
        let top = [(name: "__name__", value: "m"), (name: "instance", value: "a")]
        _ = ev.observe(rule: 0, group: group, second: 100, score: 0.95, topSeries: top, value: 1, now: now)
        let fired = ev.takeEvents()
        XCTAssertEqual(fired.map(\.kind), [.firing])
        XCTAssertEqual(fired.first?.second, 100)
        XCTAssertEqual(fired.first?.group, ["instance": "a"])
        XCTAssertEqual(fired.first?.series, ["__name__": "m", "instance": "a"])
        _ = ev.due(now: now.addingTimeInterval(120))  // a re-send is not a transition
        XCTAssertEqual(ev.takeEvents().count, 0)
        for s in Int64(101)...104 {
            _ = ev.observe(rule: 0, group: group, second: s, score: 0.1, topSeries: top, value: 1, now: now.addingTimeInterval(121))
        }
        XCTAssertEqual(ev.takeEvents().map(\.kind), [.resolved])
        XCTAssertEqual(ev.takeEvents().count, 0)
    }
}
