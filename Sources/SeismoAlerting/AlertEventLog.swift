#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SeismoModel

/// One alert state transition (fired or resolved), as kept in `DIR/alerts/events.log`.
///
/// Times come in both clocks the evaluator uses: `second` is the data second of the
/// observation that caused the transition (what a report plots against the series), `time`
/// the wall clock (what Alertmanager saw).
public struct AlertEvent: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable { case firing, resolved }
    public var kind: Kind
    public var rule: String
    /// The alert's identity in Alertmanager (alertname, group labels, rule labels).
    public var labels: [String: String]
    /// The group_by label values of the group the alert belongs to.
    public var group: [String: String]
    /// Labels of the top-scoring series at the transition.
    public var series: [String: String]
    /// Group score at the transition (null in JSON when not finite).
    public var score: Double?
    public var second: Int64
    public var time: Date

    public init(kind: Kind, rule: String, labels: [String: String], group: [String: String],
                series: [String: String], score: Double?, second: Int64, time: Date) {
        self.kind = kind
        self.rule = rule
        self.labels = labels
        self.group = group
        self.series = series
        self.score = score.flatMap { $0.isFinite ? $0 : nil }
        self.second = second
        self.time = time
    }

    enum CodingKeys: String, CodingKey { case kind, rule, labels, group, series, score, second, time }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(rule, forKey: .rule)
        try c.encode(labels, forKey: .labels)
        try c.encode(group, forKey: .group)
        try c.encode(series, forKey: .series)
        try c.encode(score, forKey: .score)
        try c.encode(second, forKey: .second)
        try c.encode(RFC3339.format(time), forKey: .time)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(Kind.self, forKey: .kind)
        rule = try c.decode(String.self, forKey: .rule)
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        group = try c.decodeIfPresent([String: String].self, forKey: .group) ?? [:]
        series = try c.decodeIfPresent([String: String].self, forKey: .series) ?? [:]
        score = try c.decodeIfPresent(Double.self, forKey: .score)
        second = try c.decode(Int64.self, forKey: .second)
        time = try RFC3339.decodeIfPresent(c, .time) ?? Date(timeIntervalSince1970: Double(second))
    }

    /// Same identity as the `Alert` sent for it, so a firing and its resolve pair up.
    public var identity: String {
        labels.sorted { $0.key < $1.key }.map { "\($0.key)\u{1F}\($0.value)" }.joined(separator: "\u{1E}")
    }
}

/// `DIR/alerts/events.log`: the alert history, one JSON object per line, append-only.
///
/// Alert state itself lives in memory (it is rebuilt from scores after a restart); this
/// log is what lets a report show, later, when alerts fired and resolved. JSON lines (not
/// the binary record framing of the WAL) because transitions are rare and people read
/// this file with `jq`. A crash mid-append leaves a torn last line; `read` skips it.
public final class AlertEventLog: @unchecked Sendable {
    public let path: String
    private let dir: String
    private let lock = NSLock()

    public init(dataDirectory: String) {
        dir = dataDirectory + "/alerts"
        path = dir + "/events.log"
    }

    /// Appends one line per event and fsyncs: transitions are a handful per hour, and an
    /// alert Alertmanager was told about should not be missing from the history.
    public func append(_ events: [AlertEvent]) throws {
        guard !events.isEmpty else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var bytes: [UInt8] = []
        for e in events {
            bytes.append(contentsOf: try encoder.encode(e))
            bytes.append(UInt8(ascii: "\n"))
        }
        lock.lock()
        defer { lock.unlock() }
        try DurableAppend.append(bytes, path: path, directory: dir, separator: UInt8(ascii: "\n"))
    }

    /// Every event that decodes, in file order, and how many lines did not (a torn tail
    /// after a crash, or damage). A missing file is an empty history.
    public func read() throws -> (events: [AlertEvent], skippedLines: Int) {
        guard FileManager.default.fileExists(atPath: path) else { return ([], 0) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AlertEventLogError("cannot read \(path)")
        }
        return Self.decode(data)
    }

    /// Parses log text; split out so the torn-line handling is testable without files.
    public static func decode(_ data: Data) -> (events: [AlertEvent], skippedLines: Int) {
        let decoder = JSONDecoder()
        var events: [AlertEvent] = []
        var skipped = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            if let e = try? decoder.decode(AlertEvent.self, from: Data(line)) {
                events.append(e)
            } else {
                skipped += 1
            }
        }
        return (events, skipped)
    }
}

public struct AlertEventLogError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
