import Foundation
import SeismoDetect
import SeismoModel
import Yams

extension RuleSet {
    /// Reads and validates a rules file. Errors name the file, the line and the problem.
    public static func load(path: String) throws -> RuleSet {
        guard FileManager.default.fileExists(atPath: path) else {
            throw RuleFileError(source: path, problems: [.init(line: nil, message: "no such file")])
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw RuleFileError(source: path, problems: [.init(line: nil, message: "cannot read: \(error.localizedDescription)")])
        }
        return try parse(yaml: text, source: path)
    }

    /// Parses rules YAML; `source` names the text in error messages.
    public static func parse(yaml: String, source: String) throws -> RuleSet {
        var parser = RuleParser()
        let rules = parser.parse(yaml)
        if !parser.problems.isEmpty { throw RuleFileError(source: source, problems: parser.problems) }
        return RuleSet(rules: rules)
    }
}

/// Walks the YAML node tree (not Codable) because nodes carry line numbers and because
/// strict validation needs to see unknown keys, which Codable silently ignores.
private struct RuleParser {
    var problems: [RuleFileError.Problem] = []

    static let topKeys: Set<String> = ["rules"]
    static let ruleKeys: Set<String> = ["name", "match", "detector", "threshold", "for", "resolve", "group_by", "group_score", "labels", "annotations"]
    static let resolveKeys: Set<String> = ["below", "for"]

    mutating func problem(_ node: Node?, _ message: String) {
        problems.append(.init(line: node?.mark?.line, message: message))
    }

    mutating func parse(_ yaml: String) -> [AlertRule] {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            problems.append(Self.yamlProblem(error))
            return []
        } catch {
            problems.append(.init(line: nil, message: "invalid YAML: \(error)"))
            return []
        }
        guard let root, case .mapping(let top) = root else {
            problem(root, "expected a mapping with key 'rules' at the top level")
            return []
        }
        for (key, _) in top where !Self.topKeys.contains(key.string ?? "") {
            problem(key, "unknown top-level key \((key.string ?? "?").debugDescription); expected 'rules'")
        }
        guard let rulesNode = top["rules"] else {
            problem(root, "missing key 'rules'")
            return []
        }
        guard case .sequence(let seq) = rulesNode else {
            problem(rulesNode, "'rules' must be a list of rules")
            return []
        }
        var rules: [AlertRule] = []
        var seen: [String: Int] = [:]
        for (i, node) in seq.enumerated() {
            guard let rule = parseRule(node, index: i + 1) else { continue }
            if let first = seen[rule.name] {
                problem(node, "rule \(i + 1) (\(rule.name.debugDescription)): name already used by rule \(first); names must be unique")
            } else {
                seen[rule.name] = i + 1
            }
            rules.append(rule)
        }
        return rules
    }

    static func yamlProblem(_ error: YamlError) -> RuleFileError.Problem {
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return .init(line: mark.line, message: "invalid YAML: \(problem) (column \(mark.column))")
        default:
            return .init(line: nil, message: "invalid YAML: \(error)")
        }
    }

    // MARK: one rule

    mutating func parseRule(_ node: Node, index: Int) -> AlertRule? {
        guard case .mapping(let map) = node else {
            problem(node, "rule \(index): expected a mapping (name, match, detector, threshold, …)")
            return nil
        }
        let before = problems.count
        let nameNode = map["name"]
        let name = nameNode?.string ?? ""
        let where_ = name.isEmpty ? "rule \(index)" : "rule \(index) (\(name.debugDescription))"
        if nameNode == nil {
            problem(node, "\(where_): missing required field name")
        } else if name.isEmpty || nameNode?.scalar == nil {
            problem(nameNode, "\(where_) field name: must be a non-empty string")
        }
        for (key, _) in map where !Self.ruleKeys.contains(key.string ?? "") {
            problem(key, "\(where_): unknown field \((key.string ?? "?").debugDescription); known: "
                + Self.ruleKeys.sorted().joined(separator: ", "))
        }

        var rule = AlertRule(name: name, threshold: 0.99)
        if let n = map["match"] { rule.selectors = selectors(n, where_) }
        if let n = map["detector"] {
            if let kind = n.scalar.flatMap({ DetectorKind(rawValue: $0.string) }) {
                rule.detector = kind
            } else {
                problem(n, "\(where_) field detector: unknown detector \((n.string ?? "?").debugDescription); known: "
                    + DetectorKind.allCases.map(\.rawValue).joined(separator: ", "))
            }
        }
        if let n = map["threshold"] { rule.threshold = unitScore(n, "\(where_) field threshold") ?? rule.threshold }
        if let n = map["for"] { rule.forSeconds = duration(n, "\(where_) field for") ?? 0 }
        rule.resolveThreshold = rule.threshold
        if let n = map["resolve"] { parseResolve(n, into: &rule, where_) }
        if let n = map["group_by"] { rule.groupBy = groupBy(n, where_) }
        if let n = map["group_score"] {
            if let c = n.scalar.flatMap({ GroupScorer.Combination(rawValue: $0.string) }) {
                rule.groupScore = c
            } else {
                problem(n, "\(where_) field group_score: unknown combination \((n.string ?? "?").debugDescription); known: "
                    + GroupScorer.Combination.allCases.map(\.rawValue).joined(separator: ", "))
            }
        }
        if let n = map["labels"] {
            rule.labels = stringMap(n, "\(where_) field labels")
            checkLabels(rule, n, where_)
        }
        if let n = map["annotations"] {
            rule.annotations = stringMap(n, "\(where_) field annotations")
        }
        return problems.count == before ? rule : nil
    }

    mutating func parseResolve(_ node: Node, into rule: inout AlertRule, _ where_: String) {
        guard case .mapping(let map) = node else {
            problem(node, "\(where_) field resolve: expected a mapping {below: SCORE, for: DURATION}")
            return
        }
        for (key, _) in map where !Self.resolveKeys.contains(key.string ?? "") {
            problem(key, "\(where_) field resolve: unknown key \((key.string ?? "?").debugDescription); known: below, for")
        }
        if let n = map["below"], let below = unitScore(n, "\(where_) field resolve.below") {
            if below > rule.threshold {
                problem(n, "\(where_) field resolve.below: \(below) is above threshold \(rule.threshold); "
                    + "an alert would resolve while its score still fires it")
            }
            rule.resolveThreshold = below
        }
        if let n = map["for"] { rule.resolveForSeconds = duration(n, "\(where_) field resolve.for") ?? 0 }
    }

    // MARK: field types

    mutating func selectors(_ node: Node, _ where_: String) -> [SeriesSelector] {
        let items: [Node]
        switch node {
        case .scalar: items = [node]
        case .sequence(let seq): items = Array(seq)
        default:
            problem(node, "\(where_) field match: expected a selector string or a list of them")
            return []
        }
        var out: [SeriesSelector] = []
        for item in items {
            guard let text = item.scalar?.string else {
                problem(item, "\(where_) field match: each entry must be a selector string")
                continue
            }
            do {
                let selector = try SeriesSelector.parse(text)
                // Compile the regexes now so a bad one fails `check rules`, not ingest.
                _ = try RuleSeriesFilter([selector])
                out.append(selector)
            } catch {
                problem(item, "\(where_) field match: \(error)")
            }
        }
        return out
    }

    mutating func unitScore(_ node: Node, _ what: String) -> Double? {
        guard let text = node.scalar?.string, let v = Double(text), v.isFinite else {
            problem(node, "\(what): expected a number in [0, 1]")
            return nil
        }
        guard (0...1).contains(v) else {
            problem(node, "\(what): \(text) is outside [0, 1] (scores are normalised to 0…1)")
            return nil
        }
        return v
    }

    mutating func duration(_ node: Node, _ what: String) -> Int64? {
        guard let text = node.scalar?.string, let s = RuleDuration.seconds(text) else {
            problem(node, "\(what): invalid duration \((node.string ?? "?").debugDescription); "
                + "use whole seconds like 30s, 5m, 1h30m")
            return nil
        }
        return s
    }

    mutating func groupBy(_ node: Node, _ where_: String) -> [String] {
        guard case .sequence(let seq) = node else {
            problem(node, "\(where_) field group_by: expected a list of label names")
            return []
        }
        var out: [String] = []
        for item in seq {
            guard let name = item.scalar?.string, LabelNames.isValid(name) else {
                problem(item, "\(where_) field group_by: \((item.string ?? "?").debugDescription) is not a valid label name")
                continue
            }
            if out.contains(name) {
                problem(item, "\(where_) field group_by: label \(name.debugDescription) listed twice")
                continue
            }
            out.append(name)
        }
        return out
    }

    /// A mapping of label names to templates; each template is compiled here so a typo is a
    /// load error.
    mutating func stringMap(_ node: Node, _ what: String) -> [String: String] {
        guard case .mapping(let map) = node else {
            problem(node, "\(what): expected a mapping of name: text")
            return [:]
        }
        var out: [String: String] = [:]
        for (key, value) in map {
            guard let name = key.scalar?.string, LabelNames.isValid(name) else {
                problem(key, "\(what): \((key.string ?? "?").debugDescription) is not a valid label name")
                continue
            }
            guard let text = value.scalar?.string else {
                problem(value, "\(what).\(name): expected a text value")
                continue
            }
            do {
                _ = try AlertTemplate(text)
            } catch {
                problem(value, "\(what).\(name): \(error)")
                continue
            }
            out[name] = text
        }
        return out
    }

    /// Alert labels are the alert's identity in Alertmanager, so they may not clash with
    /// the labels Seismo sets itself, and may not change with every score.
    mutating func checkLabels(_ rule: AlertRule, _ node: Node, _ where_: String) {
        for (name, text) in rule.labels.sorted(by: { $0.key < $1.key }) {
            let at = node.mapping?[name] ?? node
            if name == "alertname" {
                problem(at, "\(where_) field labels.alertname: set by Seismo from the rule name")
            } else if rule.groupBy.contains(name) {
                problem(at, "\(where_) field labels.\(name): clashes with group_by label \(name.debugDescription)")
            } else if let t = try? AlertTemplate(text), t.usesMeasurements {
                problem(at, "\(where_) field labels.\(name): $score and $value may only be used in annotations "
                    + "(a label that changes every second makes a new alert each time)")
            }
        }
    }
}
