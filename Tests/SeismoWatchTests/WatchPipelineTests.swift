import Foundation
import Logging
import SeismoAlerting
import SeismoDetect
import SeismoModel
import SeismoStore
import XCTest
@testable import SeismoWatch

/// The inline pipeline over a real store in a temp dir: durable batches reach the
/// detectors, group scores are stored back as `seismo:score` series, and the rule's
/// alert fires and resolves. No Alertmanager: the evaluator's state is read directly.
final class WatchPipelineTests: XCTestCase {
    private var dir = ""
    private var store: Store!
    private var pipeline: WatchPipeline!

    private static let quiet: Logger = {
        var l = Logger(label: "watch-test")
        l.logLevel = .critical
        return l
    }()

    private func start(_ rules: RuleSet) throws {
        dir = NSTemporaryDirectory() + "seismo-watch-tests/" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var config = StoreConfig(dataDirectory: dir)
        config.headWindowSeconds = 100_000
        store = try Store(config: config, logger: Self.quiet)
        pipeline = try WatchPipeline(store: store, rules: rules, notifier: nil, options: .init(), logger: Self.quiet)
        store.observer = pipeline
        store.start()
        pipeline.start()
    }

    /// A series watched by one baseline rule costs its table entry and nothing else.
    func testWatchedSeriesEntryIs72Bytes() {
        XCTAssertLessThanOrEqual(MemoryLayout<WatchedSeries>.stride, 72)
    }

    override func tearDown() {
        pipeline?.stop()
        store?.close()
        if !dir.isEmpty { try? FileManager.default.removeItem(atPath: dir) }
    }

    /// Appends one sample per series for `second` and waits until it is durable.
    private func write(_ second: Int64, _ values: [(labels: [(name: String, value: String)], value: Double)]) throws {
        var b = WriteBatch()
        for v in values { b.append(labels: v.labels, samples: [(timestampMs: second * 1000, value: v.value)]) }
        let done = DispatchSemaphore(value: 0)
        try store.append(b, nowMs: (second + 1) * 1000) { _ in done.signal() }
        done.wait()
    }

    // Near the real clock: the pipeline stores scores with the wall clock as "now".
    private static let t0 = Int64(Date().timeIntervalSince1970) - 1000

    private func memory(_ instance: String) -> [(name: String, value: String)] {
        [("__name__", "memory_bytes"), ("instance", instance), ("job", "app")]
    }

    func testARampFiresTheRuleAndStoresTheGroupScore() throws {
        try start(RuleSet(rules: [AlertRule(
            name: "Leak", selectors: [try SeriesSelector.parse("memory_bytes")], threshold: 0.9,
            forSeconds: 1, resolveThreshold: 0.5, resolveForSeconds: 3, groupBy: ["instance"])]))
        // 60 quiet seconds on two instances, then instance a ramps 20 MB per second.
        for s in 0..<60 {
            let wiggle = Double(s % 3) * 1000
            try write(Self.t0 + Int64(s), [(memory("a"), 100e6 + wiggle), (memory("b"), 100e6 - wiggle)])
        }
        XCTAssertTrue(pipeline.waitIdle())
        XCTAssertTrue(pipeline.alerts().isEmpty, "quiet data raised \(pipeline.alerts())")
        for s in 60..<70 {
            try write(Self.t0 + Int64(s), [(memory("a"), 100e6 + Double(s - 59) * 20e6), (memory("b"), 100e6)])
        }
        XCTAssertTrue(pipeline.waitIdle())
        let alerts = pipeline.alerts()
        XCTAssertEqual(alerts.count, 1, "\(alerts)")
        XCTAssertEqual(alerts.first?.state, .firing)
        XCTAssertEqual(alerts.first?.labels["instance"], "a")
        XCTAssertEqual(alerts.first?.series.contains("instance=\"a\""), true, alerts.first?.series ?? "")

        // The group score of instance a is stored beside the data, one cell per second.
        let scores = try store.select([LabelMatcher(.equal, "__name__", WatchPipeline.scoreMetric),
                                       LabelMatcher(.equal, "instance", "a")],
                                      fromMs: Self.t0 * 1000, toMs: (Self.t0 + 70) * 1000)
        guard scores.count == 1 else { return XCTFail("expected one score series, got \(scores.count)") }
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: scores[0].labels.map { ($0.name, $0.value) })["rule"], "Leak")
        let last = scores[0].valueBits.last.map { Double(bitPattern: $0) } ?? 0
        XCTAssertGreaterThan(last, 0.9)
        XCTAssertGreaterThanOrEqual(scores[0].timestampsMs.count, 30, "one score per scored second after warm-up")
    }

    /// Starts the pipeline with a Leak rule grouped by instance, and memory of instance
    /// "a" ramping until its alert fires ("b" stays flat). Returns the rules.
    private func startWithInstanceAFiring() throws -> RuleSet {
        let rules = RuleSet(rules: [AlertRule(
            name: "Leak", selectors: [try SeriesSelector.parse("memory_bytes")], threshold: 0.9,
            forSeconds: 1, resolveThreshold: 0.5, resolveForSeconds: 3, groupBy: ["instance"])])
        try start(rules)
        for s in 0..<70 {
            let wiggle = Double(s % 3) * 1000
            let a = s < 60 ? 100e6 + wiggle : 100e6 + Double(s - 59) * 20e6
            try write(Self.t0 + Int64(s), [(memory("a"), a), (memory("b"), 100e6 - wiggle)])
        }
        XCTAssertTrue(pipeline.waitIdle())
        XCTAssertEqual(pipeline.alerts().map(\.state), [.firing])
        return rules
    }

    /// A firing alert kept across a reload (same rule name) must still resolve: the
    /// pipeline skips the evaluator for groups that never reached the threshold, and a
    /// group created after a reload may belong to an alert the evaluator kept.
    func testAnAlertKeptAcrossAReloadResolvesOnQuietData() throws {
        let rules = try startWithInstanceAFiring()
        try pipeline.reload(rules)
        // The detectors restart cold: a warm-up, then quiet scores that resolve the alert.
        for s in 70..<140 {
            try write(Self.t0 + Int64(s), [(memory("a"), 300e6 + Double(s % 3) * 1000), (memory("b"), 100e6)])
        }
        XCTAssertTrue(pipeline.waitIdle())
        XCTAssertEqual(pipeline.alerts().map(\.state), [.resolved], "\(pipeline.alerts())")
    }

    /// After a reload a group starts out checked by the evaluator only if the evaluator
    /// kept an alert state for it; the other groups' quiet scores are skipped, as before
    /// any reload (the evaluator ignores them).
    func testAfterAReloadOnlyGroupsWithAKeptAlertAreObservedWhileQuiet() throws {
        let rules = try startWithInstanceAFiring()
        try pipeline.reload(rules)
        for s in 70..<72 {
            try write(Self.t0 + Int64(s), [(memory("a"), 300e6), (memory("b"), 100e6)])
        }
        XCTAssertTrue(pipeline.waitIdle())
        let flags = Dictionary(uniqueKeysWithValues: pipeline.groupsMayHoldAlert.map {
            ($0.labels.map { "\($0.name)=\($0.value)" }.joined(separator: ","), $0.mayHoldAlert)
        })
        XCTAssertEqual(flags, ["instance=a": true, "instance=b": false])
    }

    /// The commit thread wakes an idle watch thread at the first batch, and a busy one
    /// pauses only briefly between drains: a batch is scored within milliseconds, not
    /// at the watch thread's one-second idle timeout.
    func testABatchIsScoredPromptlyWhetherTheWatchThreadIsIdleOrBusy() throws {
        try start(RuleSet(rules: [AlertRule(
            name: "Leak", selectors: [try SeriesSelector.parse("memory_bytes")], threshold: 0.9, groupBy: ["instance"])]))
        var slowest = 0.0
        for s in 0..<20 {
            if s % 4 == 0 { Thread.sleep(forTimeInterval: 0.05) }  // let it go idle now and then
            try write(Self.t0 + Int64(s), [(memory("a"), 100e6 + Double(s)), (memory("b"), 100e6)])
            let started = Date()
            XCTAssertTrue(pipeline.waitIdle())
            slowest = max(slowest, Date().timeIntervalSince(started))
        }
        XCTAssertLessThan(slowest, 0.5, "a batch waited for the idle timeout")
    }

    /// A busy watch thread pauses between drains and is woken early only by a backlog;
    /// batches that would take the queue past `maxQueuedSamples` are dropped. So the
    /// backlog that wakes it must stay well below the limit, or a small limit would
    /// drop batches while the thread sleeps with nothing to do.
    func testABusyWatchThreadIsWokenBeforeItsQueueCanOverflow() throws {
        let dir = NSTemporaryDirectory() + "seismo-watch-tests/" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try Store(config: StoreConfig(dataDirectory: dir), logger: Self.quiet)
        for limit in [1, 100, 20_000, 4_000_000] {
            let p = try WatchPipeline(store: store, rules: RuleSet(rules: []), notifier: nil,
                                      options: .init(maxQueuedSamples: limit), logger: Self.quiet)
            XCTAssertLessThanOrEqual(p.busyWakeSamples, max(1, limit / 2), "limit \(limit)")
            XCTAssertLessThanOrEqual(p.busyWakeSamples, WatchPipeline.wakeSamples)
            XCTAssertGreaterThan(p.busyWakeSamples, 0)
        }
    }

    /// A group whose alert resolved goes back to being skipped while quiet (the
    /// evaluator ignores quiet scores of a resolved group), a firing one is not, and a
    /// second incident still fires and resolves.
    func testAGroupFiresAndResolvesTwice() throws {
        try start(RuleSet(rules: [AlertRule(
            name: "Leak", selectors: [try SeriesSelector.parse("memory_bytes")], threshold: 0.9,
            forSeconds: 1, resolveThreshold: 0.5, resolveForSeconds: 3, groupBy: ["instance"])]))
        var s: Int64 = 0
        func run(_ seconds: Int64, spike: Bool) throws {
            for _ in 0..<seconds {
                let wiggle = Double(s % 3) * 1000
                let a = spike ? 300e6 : 100e6 + wiggle
                try write(Self.t0 + s, [(memory("a"), a), (memory("b"), 100e6 - wiggle)])
                s += 1
            }
            XCTAssertTrue(pipeline.waitIdle())
        }
        try run(60, spike: false)
        XCTAssertTrue(pipeline.alerts().isEmpty)
        for incident in 1...2 {
            // Two seconds at the threshold fire it (for: 1 s); the very next score is
            // quiet, and must still reach the evaluator for the alert to resolve.
            try run(2, spike: true)
            XCTAssertEqual(pipeline.alerts().map(\.state), [.firing], "incident \(incident)")
            try run(60, spike: false)
            XCTAssertEqual(pipeline.alerts().map(\.state), [.resolved], "incident \(incident)")
        }
    }

    /// Two rules on the same series (an adaptive one among them) keep their watches in
    /// a watch list instead of inline: both rules are scored, and the baseline rule
    /// alerts exactly as it does alone.
    func testSeveralRulesOnOneSeriesAreAllScored() throws {
        let selector = try SeriesSelector.parse("memory_bytes")
        try start(RuleSet(rules: [
            AlertRule(name: "Leak", selectors: [selector], threshold: 0.9, forSeconds: 1, resolveThreshold: 0.5,
                      resolveForSeconds: 3, groupBy: ["instance"]),
            AlertRule(name: "LeakAdaptive", selectors: [selector], detector: .adaptive, threshold: 2, forSeconds: 1,
                      groupBy: ["instance"]),
        ]))
        for s in 0..<70 {
            let wiggle = Double(s % 3) * 1000
            let a = s < 60 ? 100e6 + wiggle : 100e6 + Double(s - 59) * 20e6
            try write(Self.t0 + Int64(s), [(memory("a"), a), (memory("b"), 100e6 - wiggle)])
        }
        XCTAssertTrue(pipeline.waitIdle())
        let alerts = pipeline.alerts()
        XCTAssertEqual(alerts.map(\.rule), ["Leak"], "\(alerts)")
        XCTAssertEqual(alerts.first?.labels["instance"], "a")
        let scores = try store.select([LabelMatcher(.equal, "__name__", WatchPipeline.scoreMetric),
                                       LabelMatcher(.equal, "instance", "a")],
                                      fromMs: Self.t0 * 1000, toMs: (Self.t0 + 70) * 1000)
        let rules = Set(scores.compactMap { series in series.labels.first { $0.name == "rule" }?.value })
        XCTAssertEqual(rules, ["Leak", "LeakAdaptive"])
    }

    func testOneGroupOfManySeriesIsScoredWithoutLosingBatches() throws {
        // The built-in rule's shape: every series of an instance in one group.
        try start(RuleSet(rules: [AlertRule(name: "All", threshold: 0.99, forSeconds: 30, groupBy: ["instance"])]))
        let series = (0..<3000).map { k in [("__name__", "m\(k)"), ("instance", "host:9100")] as [(name: String, value: String)] }
        for s in 0..<40 {
            try write(Self.t0 + Int64(s), series.enumerated().map { ($0.element, Double($0.offset) + Double(s % 2)) })
        }
        XCTAssertTrue(pipeline.waitIdle(timeoutSeconds: 60))
        let scores = try store.select([LabelMatcher(.equal, "__name__", WatchPipeline.scoreMetric)],
                                      fromMs: Self.t0 * 1000, toMs: (Self.t0 + 40) * 1000)
        XCTAssertEqual(scores.count, 1, "one group, one score series")
        XCTAssertEqual(scores.first?.timestampsMs.count, 10, "scored every second after the 30-sample warm-up (seconds 30…39)")
        XCTAssertTrue(pipeline.alerts().isEmpty, "an alternating series is not an anomaly: \(pipeline.alerts())")
    }
}
