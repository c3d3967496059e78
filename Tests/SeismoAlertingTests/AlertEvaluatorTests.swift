import Foundation
import Testing
@testable import SeismoAlerting

/// The state machine, driven with made-up data seconds and wall times.
@Suite struct AlertEvaluatorTests {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)
    static let group = [(name: "instance", value: "host:9100")]
    static let top = [(name: "__name__", value: "node_load1"), (name: "instance", value: "host:9100"), (name: "job", value: "node")]

    static func rules(threshold: Double = 0.9, forSeconds: Int64 = 5, below: Double = 0.5, resolveFor: Int64 = 3) -> RuleSet {
        RuleSet(rules: [AlertRule(
            name: "SeismoAnomaly", threshold: threshold, forSeconds: forSeconds, resolveThreshold: below,
            resolveForSeconds: resolveFor, labels: ["severity": "warning", "job": "{{ $labels.job }}"],
            annotations: ["summary": "{{ $series }} score {{ $score }} value {{ $value }}"])])
    }

    /// Feeds one observation at data second `s`, wall time t0 + s.
    static func feed(_ e: AlertEvaluator, _ s: Int64, _ score: Double, rule: Int = 0) -> [Alert] {
        e.observe(rule: rule, group: group, second: s, score: score, topSeries: top, value: 42,
                  now: t0.addingTimeInterval(Double(s)))
    }

    @Test func pendingThenFiringAfterFor() throws {
        let e = AlertEvaluator(rules: Self.rules(), generatorURL: "http://seismo:9201/")
        for s in Int64(0)...4 {
            #expect(Self.feed(e, s, 0.95).isEmpty, "second \(s) is still pending")
            #expect(e.snapshot().first?.state == .pending)
        }
        let fired = Self.feed(e, 5, 0.97)
        let alert = try #require(fired.first)
        #expect(fired.count == 1)
        #expect(alert.labels == ["alertname": "SeismoAnomaly", "instance": "host:9100", "severity": "warning", "job": "node"])
        #expect(alert.annotations["summary"] == "node_load1{instance=\"host:9100\", job=\"node\"} score 0.970 value 42")
        #expect(alert.startsAt == Self.t0)                                   // when it became pending
        #expect(alert.endsAt == Self.t0.addingTimeInterval(5 + 240))        // now + firing lifetime
        #expect(alert.generatorURL == "http://seismo:9201/api/v1/alerts?rule=SeismoAnomaly")
        let st = try #require(e.snapshot().first)
        #expect(st.state == .firing && st.score == 0.97 && st.value == 42)
        #expect(st.firedAt == Self.t0.addingTimeInterval(5))
        // Firing stays firing without re-emitting on every observation.
        #expect(Self.feed(e, 6, 0.99).isEmpty)
    }

    @Test func scoreDroppingBeforeForNeverFires() {
        let e = AlertEvaluator(rules: Self.rules(), generatorURL: "")
        for s in Int64(0)...3 { #expect(Self.feed(e, s, 0.95).isEmpty) }
        #expect(Self.feed(e, 4, 0.2).isEmpty)
        #expect(e.snapshot().isEmpty, "a pending alert that drops goes back to inactive, unsent")
        // A new run starts its own `for` clock.
        for s in Int64(5)...9 { #expect(Self.feed(e, s, 0.95).isEmpty) }
        #expect(Self.feed(e, 10, 0.95).count == 1)
    }

    @Test func forZeroFiresAtOnce() {
        let e = AlertEvaluator(rules: Self.rules(forSeconds: 0), generatorURL: "")
        #expect(Self.feed(e, 0, 0.8).isEmpty)
        let fired = Self.feed(e, 1, 0.9)
        #expect(fired.count == 1 && fired[0].generatorURL.isEmpty)
    }

    @Test func hysteresisResolve() throws {
        let e = AlertEvaluator(rules: Self.rules(forSeconds: 0, below: 0.5, resolveFor: 3), generatorURL: "")
        #expect(Self.feed(e, 0, 0.95).count == 1)
        // Between resolve.below and threshold: still firing, however long.
        for s in Int64(1)...20 { #expect(Self.feed(e, s, 0.7).isEmpty) }
        // Below 0.5 for 2 s, then a bump to 0.6 resets the hold.
        #expect(Self.feed(e, 21, 0.3).isEmpty)
        #expect(Self.feed(e, 23, 0.3).isEmpty)
        #expect(Self.feed(e, 24, 0.6).isEmpty)
        #expect(Self.feed(e, 25, 0.3).isEmpty)
        #expect(Self.feed(e, 27, 0.3).isEmpty)
        let resolved = Self.feed(e, 28, 0.1)                                 // 28 − 25 = 3 s below
        let alert = try #require(resolved.first)
        #expect(alert.endsAt == Self.t0.addingTimeInterval(28))
        #expect(alert.isResolved(at: Self.t0.addingTimeInterval(28)))
        #expect(e.snapshot().first?.state == .resolved)
        #expect(e.snapshot().first?.resolvedAt == Self.t0.addingTimeInterval(28))
        // It can fire again: a fresh alert with a fresh startsAt.
        let again = try #require(Self.feed(e, 40, 0.99).first)
        #expect(again.startsAt == Self.t0.addingTimeInterval(40))
        #expect(!again.isResolved(at: Self.t0.addingTimeInterval(40)))
    }

    @Test func outOfOrderObservationsAreIgnored() {
        let e = AlertEvaluator(rules: Self.rules(forSeconds: 0, resolveFor: 0), generatorURL: "")
        #expect(Self.feed(e, 10, 0.95).count == 1)
        #expect(Self.feed(e, 9, 0.0).isEmpty, "older data second must not resolve")
        #expect(e.snapshot().first?.state == .firing)
    }

    @Test func resendTimingAndStaleness() throws {
        let e = AlertEvaluator(rules: Self.rules(forSeconds: 0), generatorURL: "")
        #expect(Self.feed(e, 0, 0.95).count == 1)
        #expect(e.due(now: Self.t0.addingTimeInterval(59)).isEmpty)
        // Keep the group observed so it is not stale.
        _ = Self.feed(e, 60, 0.95)
        let resent = e.due(now: Self.t0.addingTimeInterval(60))
        #expect(resent.count == 1)
        #expect(resent.first?.endsAt == Self.t0.addingTimeInterval(60 + 240), "endsAt pushed forward on each re-send")
        #expect(resent.first?.startsAt == Self.t0, "startsAt unchanged")
        #expect(e.due(now: Self.t0.addingTimeInterval(61)).isEmpty)
        #expect(e.due(now: Self.t0.addingTimeInterval(120)).count == 1)
        // No observation for staleAfter (300 s after second 60) → resolved by due().
        let stale = e.due(now: Self.t0.addingTimeInterval(360))
        #expect(stale.count == 1 && stale[0].endsAt == Self.t0.addingTimeInterval(360))
        #expect(e.snapshot().first?.state == .resolved)
        // Resolved alerts are re-sent for a while (Alertmanager may have missed it) …
        #expect(e.due(now: Self.t0.addingTimeInterval(420)).first?.endsAt == Self.t0.addingTimeInterval(360))
        // … and forgotten after keepResolved.
        #expect(e.due(now: Self.t0.addingTimeInterval(360 + 900)).isEmpty)
        #expect(e.snapshot().isEmpty)
    }

    @Test func replaceRulesKeepsStateOfRulesWithTheSameName() throws {
        let e = AlertEvaluator(rules: Self.rules(forSeconds: 0), generatorURL: "")
        #expect(Self.feed(e, 0, 0.95).count == 1)
        var changed = Self.rules(threshold: 0.8, forSeconds: 0, below: 0.75, resolveFor: 0)
        changed.rules.append(AlertRule(name: "Other", threshold: 0.5))
        e.replaceRules(changed)
        #expect(e.snapshot().map(\.state) == [.firing], "firing state survives the reload")
        #expect(Self.feed(e, 1, 0.95).isEmpty, "no second firing notification")
        // The new resolve threshold (0.75, for 0 s) applies at once.
        #expect(Self.feed(e, 2, 0.7).count == 1)
    }

    @Test func replaceRulesResolvesAlertsOfRemovedRules() throws {
        let e = AlertEvaluator(rules: Self.rules(forSeconds: 0), generatorURL: "")
        #expect(Self.feed(e, 0, 0.95).count == 1)
        e.replaceRules(RuleSet(rules: [AlertRule(name: "Renamed", threshold: 0.9)]))
        #expect(e.snapshot().isEmpty)
        let owed = e.due(now: Date())
        #expect(owed.count == 1 && owed[0].labels["alertname"] == "SeismoAnomaly")
        #expect(owed[0].isResolved(at: Date()))
    }

    @Test func groupsAreIndependent() {
        let e = AlertEvaluator(rules: Self.rules(forSeconds: 0), generatorURL: "")
        let a = e.observe(rule: 0, group: [("instance", "a")], second: 0, score: 0.95, topSeries: [("instance", "a")], value: 1, now: Self.t0)
        let b = e.observe(rule: 0, group: [("instance", "b")], second: 0, score: 0.10, topSeries: [("instance", "b")], value: 1, now: Self.t0)
        #expect(a.count == 1 && b.isEmpty)
        #expect(e.snapshot().count == 1)
        #expect(e.observe(rule: 7, group: [], second: 0, score: 1, topSeries: [], value: 1, now: Self.t0).isEmpty,
                "unknown rule index is ignored")
    }

    @Test func nanScoreCountsAsNoAnomaly() {
        let e = AlertEvaluator(rules: Self.rules(forSeconds: 0, resolveFor: 0), generatorURL: "")
        #expect(Self.feed(e, 0, .nan).isEmpty)
        #expect(Self.feed(e, 1, 0.95).count == 1)
        #expect(Self.feed(e, 2, .nan).count == 1, "resolves")
    }
}
