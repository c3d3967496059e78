import Foundation
import Testing
@testable import SeismoAlerting

/// Alertmanager unreachable for a real stretch of wall-clock time (not a compressed
/// evaluator clock), with the production backoff (0.5 s doubling to 30 s): alerts fired
/// and resolved meanwhile stay queued, bounded, and arrive once it is back.
///
/// SEISMO_ALERT_OUTAGE_SECONDS sets the outage (default 15 s for CI; scripts/alert-outage
/// runs the 10-minute version and prints the figures recorded in RELIABILITY.md).
@Suite(.timeLimit(.minutes(20))) struct AlertOutageTests {
    static let outage = Double(ProcessInfo.processInfo.environment["SEISMO_ALERT_OUTAGE_SECONDS"] ?? "") ?? 15
    static let capacity = 16
    static let top = [(name: "__name__", value: "node_load1"), (name: "instance", value: "host:9100")]

    @Test func alertsQueuedDuringARealOutageArriveWhenAlertmanagerReturns() throws {
        let am = try AlertmanagerProcess()
        try am.start()
        let logs = LogCapture()
        let notifier = AlertmanagerNotifier(urls: [am.url], queueCapacity: Self.capacity, logger: logs.logger)
        notifier.start()
        defer { notifier.stop(flushWithin: 1) }
        let names = ["Before"] + (1...12).map { "During\($0)" }
        let e = AlertEvaluator(rules: RuleSet(rules: names.map {
            AlertRule(name: $0, threshold: 0.9, forSeconds: 0, resolveThreshold: 0.5)
        }), generatorURL: "http://127.0.0.1:9201")
        e.staleAfter = Self.outage + 3600  // no scores arrive during the outage; nothing goes stale
        func score(_ rule: Int, _ s: Double) -> [Alert] {
            e.observe(rule: rule, group: [(name: "instance", value: "host:9100")], second: Int64(Date().timeIntervalSince1970),
                      score: s, topSeries: Self.top, value: 1, now: Date())
        }

        notifier.submit(score(0, 1))
        #expect(try AlertmanagerProcess.eventually(within: 10) { try am.activeAlertNames() == ["Before"] })

        am.stop()
        let down = Date()
        // Fired and resolved while Alertmanager is away.
        for rule in 1...12 { notifier.submit(score(rule, 1)) }
        notifier.submit(score(0, 0.1))
        // The evaluator's once-a-second pass keeps re-sending firing alerts every minute
        // (endsAt moves forward), as `seismo serve` does.
        var maxQueued = 0
        while Date().timeIntervalSince(down) < Self.outage {
            notifier.submit(e.due(now: Date()))
            maxQueued = max(maxQueued, notifier.stats()[0].queued)
            Thread.sleep(forTimeInterval: 1)
        }
        // A failed batch is back in the queue as soon as its attempt ends (connection refused).
        #expect(AlertmanagerProcess.eventually(within: 5) { notifier.stats()[0].queued == 13 },
                "one entry per distinct alert (12 firing + 1 resolve), re-sends coalesced")
        let during = notifier.stats()[0]
        #expect(maxQueued <= Self.capacity, "queue exceeded its bound: \(maxQueued)")

        try am.start()
        let back = Date()
        let expected = Set(names.dropFirst())
        #expect(try AlertmanagerProcess.eventually(within: 60) { try am.activeAlertNames() == expected })
        let delay = Date().timeIntervalSince(back)
        let after = notifier.stats()[0]
        #expect(after.queued == 0 && after.dropped == 0)
        // What arrived is each alert's newest version: endsAt from the last re-send.
        let one = try #require(try am.alerts().first { ($0["labels"] as? [String: String])?["alertname"] == "During1" })
        let endsAt = try #require(RFC3339.parse(one["endsAt"] as? String ?? ""))
        print("""
            [alert-outage] outage \(Int(Self.outage)) s: \(during.attempts) delivery attempts while down \
            (failed: \(during.failed)), queue peak \(maxQueued)/\(Self.capacity) (13 distinct alerts), \
            dropped \(after.dropped); all 12 firing alerts active and the resolved one gone \
            \(String(format: "%.1f", delay)) s after Alertmanager was ready again; \
            sent \(after.sent) alerts in total; During1 endsAt = now + \(Int(endsAt.timeIntervalSinceNow)) s
            """)
        #expect(endsAt.timeIntervalSinceNow > 120, "the queued copy was replaced by the newest re-send")
    }
}
