/// One label matcher of a Prometheus series selector (remote read `LabelMatcher`).
/// Regex matchers are compiled by the code that evaluates them (the store).
public struct LabelMatcher: Equatable, Sendable {
    public enum Kind: Int, Sendable {
        case equal = 0, notEqual = 1, regexMatch = 2, regexNoMatch = 3
    }
    public var kind: Kind
    public var name: String
    public var value: String

    public init(_ kind: Kind, _ name: String, _ value: String) {
        self.kind = kind
        self.name = name
        self.value = value
    }

    public var description: String {
        let op: String
        switch kind {
        case .equal: op = "="
        case .notEqual: op = "!="
        case .regexMatch: op = "=~"
        case .regexNoMatch: op = "!~"
        }
        return "\(name)\(op)\"\(LabelKey.escape(value))\""
    }
}

/// One series' samples as returned by a read, at per-second timestamps.
public struct SeriesSamples: Sendable {
    public var labels: [(name: String, value: String)]
    public var timestampsMs: [Int64]
    public var valueBits: [UInt64]

    public init(labels: [(name: String, value: String)], timestampsMs: [Int64], valueBits: [UInt64]) {
        self.labels = labels
        self.timestampsMs = timestampsMs
        self.valueBits = valueBits
    }
}
