import Foundation
import Logging
import Testing
@testable import SeismoAlerting

/// The sender against a real Alertmanager 0.25: what we POST must be what it lists.
@Suite(.timeLimit(.minutes(1))) struct AlertmanagerNotifierTests {
    static let group = [(name: "instance", value: "host:9100")]
    static let top = [(name: "__name__", value: "node_load1"), (name: "instance", value: "host:9100")]

    static func evaluator(_ names: [String]) -> AlertEvaluator {
        AlertEvaluator(rules: RuleSet(rules: names.map {
            AlertRule(name: $0, threshold: 0.9, forSeconds: 0, resolveThreshold: 0.5,
                      labels: ["severity": "warning"], annotations: ["summary": "{{ $series }} score {{ $score }}"])
        }), generatorURL: "http://127.0.0.1:9201")
    }

    static func notifier(_ urls: [String], capacity: Int = 100, logs: LogCapture = LogCapture()) -> AlertmanagerNotifier {
        // Short backoff so retries and recovery fit a bounded test.
        let n = AlertmanagerNotifier(urls: urls, queueCapacity: capacity, timeoutSeconds: 2, maxBackoffSeconds: 1,
                                     initialBackoffSeconds: 0.2, logger: logs.logger)
        n.start()
        return n
    }

    @Test func fireShowsActiveThenResolveRemovesIt() throws {
        let am = try AlertmanagerProcess()
        try am.start()
        let notifier = Self.notifier([am.url])
        defer { notifier.stop(flushWithin: 1) }
        let e = Self.evaluator(["SeismoAnomaly"])

        let fired = e.observe(rule: 0, group: Self.group, second: 100, score: 0.97, topSeries: Self.top, value: 3, now: Date())
        #expect(fired.count == 1)
        notifier.submit(fired)
        #expect(try AlertmanagerProcess.eventually(within: 10) { try am.activeAlertNames() == ["SeismoAnomaly"] })
        let listed = try #require(try am.alerts().first)
        #expect(listed["labels"] as? [String: String] == ["alertname": "SeismoAnomaly", "instance": "host:9100", "severity": "warning"])
        #expect((listed["annotations"] as? [String: String])?["summary"] == "node_load1{instance=\"host:9100\"} score 0.970")
        #expect(listed["generatorURL"] as? String == "http://127.0.0.1:9201/api/v1/alerts?rule=SeismoAnomaly")
        // endsAt ≈ now + 4 min: Alertmanager keeps it active until then unless re-sent.
        let endsAt = try #require(RFC3339.parse(listed["endsAt"] as? String ?? ""))
        #expect(abs(endsAt.timeIntervalSinceNow - 240) < 30)

        // A re-send pushes endsAt forward, so Alertmanager keeps the alert active.
        let resend = e.due(now: Date().addingTimeInterval(61))
        #expect(resend.count == 1)
        notifier.submit(resend)
        #expect(try AlertmanagerProcess.eventually(within: 10) {
            let t = try am.alerts().first.flatMap { RFC3339.parse($0["endsAt"] as? String ?? "") }
            return t.map { abs($0.timeIntervalSinceNow - 301) < 30 } ?? false
        })

        let resolved = e.observe(rule: 0, group: Self.group, second: 101, score: 0.1, topSeries: Self.top, value: 3, now: Date())
        #expect(resolved.count == 1)
        notifier.submit(resolved)
        #expect(try AlertmanagerProcess.eventually(within: 10) { try am.activeAlertNames().isEmpty })
        #expect(notifier.stats().first?.sent == 3)
        #expect(notifier.stats().first?.failed == [:])
    }

    @Test func everyAlertmanagerGetsEveryAlertAndADeadOneDoesNotHoldUpTheOthers() throws {
        let am1 = try AlertmanagerProcess()
        let am2 = try AlertmanagerProcess()
        try am1.start()
        try am2.start()
        let dead = "http://127.0.0.1:\(try AlertmanagerProcess.freePort())"
        let notifier = Self.notifier([am1.url, dead, am2.url])
        let e = Self.evaluator(["A", "B"])
        let now = Date()
        notifier.submit(e.observe(rule: 0, group: Self.group, second: 1, score: 1, topSeries: Self.top, value: 1, now: now)
            + e.observe(rule: 1, group: Self.group, second: 1, score: 1, topSeries: Self.top, value: 1, now: now))
        #expect(try AlertmanagerProcess.eventually(within: 10) { try am1.activeAlertNames() == ["A", "B"] })
        #expect(try AlertmanagerProcess.eventually(within: 10) { try am2.activeAlertNames() == ["A", "B"] })
        // While an attempt is on the wire its batch is out of the queue, so the dead one's
        // queue is checked between attempts (it sleeps a backoff of 0.2 s and more there),
        // not at one instant that may fall on an attempt.
        #expect(AlertmanagerProcess.eventually(within: 5) {
            let s = notifier.stats()[1]
            return (s.failed["network"] ?? 0) >= 2 && s.queued == 2
        }, "the dead one keeps its alerts queued for retry")
        let stats = notifier.stats()
        #expect(stats[0].sent == 2 && stats[2].sent == 2)
        #expect(stats[1].sent == 0)
        let started = Date()
        notifier.stop(flushWithin: 0.5)
        #expect(Date().timeIntervalSince(started) < 3, "stop is bounded even with an unreachable Alertmanager")
    }

    @Test func rejectedAlertIsLoggedWithReasonAndNotRetried() throws {
        let am = try AlertmanagerProcess()
        try am.start()
        let logs = LogCapture()
        let notifier = Self.notifier([am.url], logs: logs)
        defer { notifier.stop(flushWithin: 1) }
        // Alertmanager answers 400 "at least one label pair required" for an empty label set.
        notifier.submit([Alert(labels: [:], startsAt: Date(), endsAt: Date().addingTimeInterval(60))])
        #expect(AlertmanagerProcess.eventually(within: 5) { notifier.stats()[0].failed["http_4xx"] == 1 })
        // Several initial backoffs (0.2 s) later there has still been only one attempt.
        Thread.sleep(forTimeInterval: 1.2)
        let stats = notifier.stats()[0]
        #expect(stats.attempts == 1 && stats.queued == 0 && stats.sent == 0)
        let line = try #require(logs.entries.first { $0.contains("rejected") })
        #expect(line.contains("HTTP 400") && line.contains("at least one label pair required"), "\(line)")
        // The sender carries on with the next, valid alert.
        notifier.submit(Self.evaluator(["AfterReject"]).observe(rule: 0, group: Self.group, second: 1, score: 1,
                                                                topSeries: Self.top, value: 1, now: Date()))
        #expect(try AlertmanagerProcess.eventually(within: 10) { try am.activeAlertNames() == ["AfterReject"] })
    }

    /// The issue's acceptance case: Alertmanager stopped for a while, then started; the
    /// alerts that fired meanwhile arrive.
    @Test func alertsFiredDuringAnOutageArriveWhenAlertmanagerComesBack() throws {
        let am = try AlertmanagerProcess()
        try am.start()
        let notifier = Self.notifier([am.url])
        defer { notifier.stop(flushWithin: 1) }
        let e = Self.evaluator(["Before", "During1", "During2"])
        e.staleAfter = 3600   // the simulated minutes below have no new scores
        func fire(_ rule: Int) -> [Alert] {
            e.observe(rule: rule, group: Self.group, second: 1, score: 1, topSeries: Self.top, value: 1, now: Date())
        }
        notifier.submit(fire(0))
        #expect(try AlertmanagerProcess.eventually(within: 10) { try am.activeAlertNames() == ["Before"] })

        am.stop()
        notifier.submit(fire(1))
        notifier.submit(fire(2))
        // Ten minutes of re-sends (evaluator clock compressed: one due() per simulated
        // minute) while still down: each replaces the queued copy instead of adding one.
        let base = Date()
        for minute in 1...10 {
            let resends = e.due(now: base.addingTimeInterval(Double(minute) * 60 + 1))
            notifier.submit(resends)
        }
        #expect(AlertmanagerProcess.eventually(within: 5) { (notifier.stats()[0].failed["network"] ?? 0) >= 4 })
        #expect(notifier.stats()[0].queued == 3, "one entry per distinct alert, not one per re-send")

        // Same port, same storage: an Alertmanager restart.
        try am.start()
        let ready = Date()
        #expect(try AlertmanagerProcess.eventually(within: 10) {
            try am.activeAlertNames() == ["Before", "During1", "During2"]
        })
        print("outage: alerts visible \(String(format: "%.2f", Date().timeIntervalSince(ready))) s after Alertmanager was ready again (backoff cap 1 s)")
        let stats = notifier.stats()[0]
        #expect(stats.queued == 0 && stats.dropped == 0)
        // What arrived is each alert's latest version: endsAt from the last re-send.
        let during = try #require(try am.alerts().first { ($0["labels"] as? [String: String])?["alertname"] == "During1" })
        let endsAt = try #require(RFC3339.parse(during["endsAt"] as? String ?? ""))
        #expect(abs(endsAt.timeIntervalSince(base) - (601 + 240)) < 5)
    }

    /// Hot reload: a kept rule's alert stays active with no new notification; the alert
    /// of a removed rule is resolved in Alertmanager.
    @Test func reloadResolvesAlertsOfRemovedRulesInAlertmanager() throws {
        let am = try AlertmanagerProcess()
        try am.start()
        let notifier = Self.notifier([am.url])
        defer { notifier.stop(flushWithin: 1) }
        let e = Self.evaluator(["Kept", "Removed"])
        let now = Date()
        notifier.submit(e.observe(rule: 0, group: Self.group, second: 1, score: 1, topSeries: Self.top, value: 1, now: now)
            + e.observe(rule: 1, group: Self.group, second: 1, score: 1, topSeries: Self.top, value: 1, now: now))
        #expect(try AlertmanagerProcess.eventually(within: 10) { try am.activeAlertNames() == ["Kept", "Removed"] })

        e.replaceRules(RuleSet(rules: [AlertRule(name: "Kept", threshold: 0.8, forSeconds: 0, resolveThreshold: 0.5)]))
        let owed = e.due(now: Date())
        #expect(owed.map { $0.labels["alertname"] } == ["Removed"])
        notifier.submit(owed)
        #expect(try AlertmanagerProcess.eventually(within: 10) { try am.activeAlertNames() == ["Kept"] })
        #expect(e.observe(rule: 0, group: Self.group, second: 2, score: 0.9, topSeries: Self.top, value: 1, now: Date()).isEmpty)
        #expect(e.snapshot().map(\.state) == [.firing])
    }

    @Test func fullQueueDropsOldestAndCountsIt() throws {
        let dead = "http://127.0.0.1:\(try AlertmanagerProcess.freePort())"
        let n = AlertmanagerNotifier(urls: [dead], queueCapacity: 2, timeoutSeconds: 1, maxBackoffSeconds: 1, logger: LogCapture().logger)
        // Not started: the queue alone decides.
        n.submit((1...5).map { Alert(labels: ["alertname": "A\($0)"]) })
        #expect(n.stats()[0].dropped == 3 && n.stats()[0].queued == 2)
        n.stop(flushWithin: 0)
    }
}

/// Collects log lines (message plus metadata) so tests can assert what was logged.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    var entries: [String] { lock.withLock { lines } }

    var logger: Logger {
        Logger(label: "test") { _ in Handler(capture: self) }
    }

    func append(_ s: String) { lock.withLock { lines.append(s) } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append("\(event.level) \(event.message) " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        }
    }
}
