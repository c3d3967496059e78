import Testing
@testable import SeismoAlerting
import SeismoDetect

/// Rules YAML: the documented layout parses into the fields it names, and each kind of
/// mistake is reported with the rule, the field and the line.
@Suite struct RuleParserTests {
    @Test func fullRuleParses() throws {
        let yaml = """
        rules:
          - name: SeismoAnomaly
            match: ['{job="node"}', 'process_resident_memory_bytes']
            detector: adaptive
            threshold: 0.9
            for: 5s
            resolve: {below: 0.5, for: 30s}
            group_by: [instance, job]
            group_score: count
            labels: {severity: warning, team: "{{ $labels.job }}"}
            annotations: {summary: "{{ $series }} anomalous (score {{ $score }})"}
          - name: Other
            threshold: 0.8
        """
        let set = try RuleSet.parse(yaml: yaml, source: "t.yaml")
        #expect(set.rules.count == 2)
        let r = set.rules[0]
        #expect(r.name == "SeismoAnomaly")
        #expect(r.selectors.count == 2)
        #expect(r.selectors[1].matchers.first?.value == "process_resident_memory_bytes")
        #expect(r.detector == .adaptive)
        #expect(r.threshold == 0.9)
        #expect(r.forSeconds == 5)
        #expect(r.resolveThreshold == 0.5)
        #expect(r.resolveForSeconds == 30)
        #expect(r.groupBy == ["instance", "job"])
        #expect(r.groupScore == .count)
        #expect(r.labels == ["severity": "warning", "team": "{{ $labels.job }}"])
        #expect(r.annotations["summary"] == "{{ $series }} anomalous (score {{ $score }})")
        // Defaults of a minimal rule.
        let o = set.rules[1]
        #expect(o.selectors.isEmpty)
        #expect(o.detector == .baseline)
        #expect(o.forSeconds == 0)
        #expect(o.resolveThreshold == 0.8)
        #expect(o.resolveForSeconds == 0)
        #expect(o.groupBy == ["instance"])
        #expect(o.groupScore == .noisyOr)
    }

    /// Each mistake → one problem that names the rule, the field and the line.
    @Test(arguments: [
        ("  - name: A\n    treshold: 0.9\n", "rule 1 (\"A\"): unknown field \"treshold\"", 3),
        ("  - name: A\n    threshold: 1.5\n", "rule 1 (\"A\") field threshold: 1.5 is outside [0, 1]", 3),
        ("  - name: A\n    group_score: max\n", "rule 1 (\"A\") field group_score: unknown combination \"max\"", 3),
        ("  - name: A\n    threshold: high\n", "rule 1 (\"A\") field threshold: expected a number", 3),
        ("  - name: A\n    for: 5x\n", "rule 1 (\"A\") field for: invalid duration \"5x\"", 3),
        ("  - name: A\n    for: 500ms\n", "rule 1 (\"A\") field for: invalid duration \"500ms\"", 3),
        ("  - name: A\n    threshold: 0.5\n    resolve: {below: 0.6}\n", "field resolve.below: 0.6 is above threshold 0.5", 4),
        ("  - name: A\n    resolve: {below: 0.1, after: 3s}\n", "field resolve: unknown key \"after\"", 3),
        ("  - name: A\n    match: ['up{job=\"x\"']\n", "field match: missing closing '}'", 3),
        ("  - name: A\n    match: ['{}']\n", "field match: empty selector", 3),
        ("  - name: A\n    detector: magic\n", "field detector: unknown detector \"magic\"; known: baseline, adaptive", 3),
        ("  - name: A\n    annotations: {summary: '{{ $foo }}'}\n", "field annotations.summary: unknown template variable \"$foo\"", 3),
        ("  - name: A\n    labels: {severity: '{{ $score }}'}\n", "field labels.severity: $score and $value may only be used in annotations", 3),
        ("  - name: A\n    labels: {alertname: x}\n", "labels.alertname: set by Seismo", 3),
        ("  - name: A\n    labels: {instance: x}\n", "labels.instance: clashes with group_by", 3),
        ("  - name: A\n    group_by: [bad-name]\n", "field group_by: \"bad-name\" is not a valid label name", 3),
        ("  - threshold: 0.5\n", "rule 1: missing required field name", 2),
        ("  - name: A\n  - name: A\n", "rule 2 (\"A\"): name already used by rule 1", 3),
    ])
    func invalidRuleIsReported(body: String, expected: String, line: Int) throws {
        let error = try #require(throws: RuleFileError.self) {
            try RuleSet.parse(yaml: "rules:\n" + body, source: "bad.yaml")
        }
        #expect(error.problems.count == 1, "\(error)")
        let p = try #require(error.problems.first)
        #expect(p.message.contains(expected), "\(p.message)")
        #expect(p.line == line, "\(p)")
        #expect(error.description.hasPrefix("bad.yaml:\(line): "))
    }

    @Test func unknownTopLevelKeyAndBrokenYAML() throws {
        let e1 = try #require(throws: RuleFileError.self) { try RuleSet.parse(yaml: "rule:\n  - name: A\n", source: "f") }
        #expect(e1.problems.map(\.message).contains { $0.contains("unknown top-level key \"rule\"") })
        let e2 = try #require(throws: RuleFileError.self) { try RuleSet.parse(yaml: "rules: [\n  - {name: A\n", source: "f") }
        #expect(e2.problems.first?.message.hasPrefix("invalid YAML") == true)
        #expect(e2.problems.first?.line != nil)
    }

    @Test func severalProblemsAreAllListed() throws {
        let yaml = "rules:\n  - name: A\n    threshold: 2\n  - name: B\n    for: soon\n"
        let e = try #require(throws: RuleFileError.self) { try RuleSet.parse(yaml: yaml, source: "f") }
        #expect(e.problems.map(\.line) == [3, 5])
    }

    @Test func durations() {
        #expect(RuleDuration.seconds("0") == 0)
        #expect(RuleDuration.seconds("90") == 90)
        #expect(RuleDuration.seconds("1h30m") == 5400)
        #expect(RuleDuration.seconds("2d") == 172_800)
        #expect(RuleDuration.seconds("-5s") == nil)
        #expect(RuleDuration.seconds("5") == 5)
        #expect(RuleDuration.seconds("s") == nil)
        #expect(RuleDuration.seconds("5m3") == nil)
    }

    @Test func builtInDefaultIsValid() throws {
        let d = RuleSet.builtInDefault.rules
        #expect(d.count == 1)
        #expect(d[0].selectors.isEmpty && d[0].detector == .baseline && d[0].groupBy == ["instance"])
        #expect(d[0].resolveThreshold < d[0].threshold)
        #expect(d[0].groupScore == .count, "every series of an instance is one group: a noisy-OR would saturate")
        for t in d[0].annotations.values { _ = try AlertTemplate(t) }
    }
}
