import Foundation
import Logging
import SeismoModel
import Testing
@testable import SeismoAlerting

/// Series selection, grouping, the /api/v1/alerts body and rules reload.
@Suite(.serialized) struct FilterReloadTests {
    @Test func selectorsAreOredMatchersAnded() throws {
        let f = try RuleSeriesFilter([try SeriesSelector.parse(#"{job="node", instance=~"h[0-9]+:.*"}"#),
                                      try SeriesSelector.parse("process_resident_memory_bytes")])
        #expect(f.matches([("__name__", "up"), ("job", "node"), ("instance", "h1:9100")]))
        #expect(!f.matches([("__name__", "up"), ("job", "node"), ("instance", "xh1:9100")]), "regex is anchored")
        #expect(!f.matches([("__name__", "up"), ("job", "api"), ("instance", "h1:9100")]))
        #expect(f.matches([("__name__", "process_resident_memory_bytes"), ("job", "api")]))
        let neg = try RuleSeriesFilter([try SeriesSelector.parse(#"up{job!="node", env!~"prod|stage"}"#)])
        #expect(neg.matches([("__name__", "up"), ("job", "api")]), "missing label is \"\"")
        #expect(!neg.matches([("__name__", "up"), ("job", "api"), ("env", "prod")]))
        #expect(!neg.matches([("__name__", "up"), ("job", "node")]))
        #expect(try RuleSeriesFilter([]).matches([("a", "b")]), "no selectors = every series")
    }

    @Test func badRegexIsALoadError() throws {
        let e = try #require(throws: RuleFileError.self) {
            try RuleSet.parse(yaml: "rules:\n  - name: A\n    match: ['{a=~\"*x\"}']\n", source: "f")
        }
        #expect(e.problems.first?.message.contains("invalid regular expression") == true, "\(e)")
        #expect(e.problems.first?.line == 3)
    }

    @Test func groupOfSeries() {
        let r = AlertRule(name: "A", threshold: 0.9, groupBy: ["instance", "job"])
        let g = r.group(of: [("__name__", "up"), ("instance", "h:1")])
        #expect(g.map(\.name) == ["instance", "job"] && g.map(\.value) == ["h:1", ""])
    }

    @Test func alertsResponseEnvelope() throws {
        let e = AlertEvaluator(rules: RuleSet(rules: [AlertRule(name: "A", threshold: 0.5), AlertRule(name: "B", threshold: 0.5)]),
                               generatorURL: "")
        _ = e.observe(rule: 0, group: [("instance", "h")], second: 1, score: 0.7, topSeries: [("__name__", "up")], value: 1, now: Date())
        _ = e.observe(rule: 1, group: [("instance", "h")], second: 1, score: 0.8, topSeries: [("__name__", "up")], value: 2, now: Date())
        let body = try JSONSerialization.jsonObject(with: Data(AlertsResponse.json(e.snapshot(), rule: "B"))) as? [String: Any]
        #expect(body?["status"] as? String == "success")
        let alerts = (body?["data"] as? [String: Any])?["alerts"] as? [[String: Any]]
        #expect(alerts?.count == 1)
        #expect(alerts?.first?["rule"] as? String == "B" && alerts?.first?["score"] as? Double == 0.8)
        #expect(alerts?.first?["state"] as? String == "firing")
    }

    @Test func sighupReloadsAndABrokenFileKeepsTheRunningRules() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("seismo-rules-\(UUID().uuidString).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "rules:\n  - name: A\n    threshold: 0.9\n".write(toFile: path, atomically: true, encoding: .utf8)
        let got = Mailbox()
        let logs = LogCapture()
        let reloader = RulesReloader(path: path, logger: logs.logger) { got.put($0.rules.map(\.name)) }
        reloader.installSignalHandler()
        defer { reloader.cancel() }

        try "rules:\n  - name: A\n    threshold: 0.9\n  - name: B\n    threshold: 0.8\n".write(toFile: path, atomically: true, encoding: .utf8)
        kill(getpid(), SIGHUP)
        #expect(AlertmanagerProcess.eventually(within: 5) { got.value == ["A", "B"] })

        try "rules:\n  - name: A\n    threshold: 9\n".write(toFile: path, atomically: true, encoding: .utf8)
        kill(getpid(), SIGHUP)
        #expect(AlertmanagerProcess.eventually(within: 5) { logs.entries.contains { $0.contains("keeping the running rules") } })
        #expect(got.value == ["A", "B"], "the broken file was not handed over")
        #expect(logs.entries.contains { $0.contains("line=3") && $0.contains("outside [0, 1]") })
    }
}

final class Mailbox: @unchecked Sendable {
    private let lock = NSLock()
    private var v: [String] = []
    func put(_ x: [String]) { lock.withLock { v = x } }
    var value: [String] { lock.withLock { v } }
}
