import Foundation

/// One alert as Alertmanager's API v2 accepts it in `POST /api/v2/alerts` ("postable alert").
///
/// Dates are encoded as RFC 3339 strings by hand (not via the encoder's date strategy)
/// so any `JSONEncoder` produces a body Alertmanager accepts: it rejects epoch numbers.
public struct Alert: Sendable, Codable, Equatable {
    public var labels: [String: String]
    public var annotations: [String: String]
    public var startsAt: Date?
    /// Firing: a time a few minutes ahead, so Alertmanager resolves the alert by itself if
    /// Seismo stops re-sending (crash, partition). Resolved: the resolve time (in the past).
    public var endsAt: Date?
    /// Empty means "leave the field out": Alertmanager accepts a missing generatorURL but
    /// rejects an empty or relative one with 422.
    public var generatorURL: String

    public init(labels: [String: String], annotations: [String: String] = [:], startsAt: Date? = nil,
                endsAt: Date? = nil, generatorURL: String = "") {
        self.labels = labels
        self.annotations = annotations
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.generatorURL = generatorURL
    }

    /// Whether this version of the alert tells Alertmanager it is over.
    public func isResolved(at now: Date) -> Bool {
        guard let endsAt else { return false }
        return endsAt <= now
    }

    /// Identity of the alert for Alertmanager: its label set, in a canonical order.
    /// The sender coalesces queued versions of one alert by this key.
    public var identity: String {
        labels.sorted { $0.key < $1.key }.map { "\($0.key)\u{1F}\($0.value)" }.joined(separator: "\u{1E}")
    }

    enum CodingKeys: String, CodingKey {
        case labels, annotations, startsAt, endsAt, generatorURL
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(labels, forKey: .labels)
        try c.encode(annotations, forKey: .annotations)
        if let startsAt { try c.encode(RFC3339.format(startsAt), forKey: .startsAt) }
        if let endsAt { try c.encode(RFC3339.format(endsAt), forKey: .endsAt) }
        if !generatorURL.isEmpty { try c.encode(generatorURL, forKey: .generatorURL) }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        labels = try c.decode([String: String].self, forKey: .labels)
        annotations = try c.decodeIfPresent([String: String].self, forKey: .annotations) ?? [:]
        startsAt = try RFC3339.decodeIfPresent(c, .startsAt)
        endsAt = try RFC3339.decodeIfPresent(c, .endsAt)
        generatorURL = try c.decodeIfPresent(String.self, forKey: .generatorURL) ?? ""
    }
}

/// RFC 3339 timestamps with millisecond precision in UTC, the form Alertmanager echoes back.
public enum RFC3339 {
    public static func format(_ date: Date) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(ms >= 0 ? ms / 1000 : (ms - 999) / 1000)
        let millis = Int(ms - Int64(seconds) * 1000)
        var tm = tm()
        gmtime_r(&seconds, &tm)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(tm.tm_year + 1900, 4))-\(pad(tm.tm_mon + 1, 2))-\(pad(tm.tm_mday, 2))T"
            + "\(pad(tm.tm_hour, 2)):\(pad(tm.tm_min, 2)):\(pad(tm.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }

    /// Parses the forms Alertmanager returns: fractional seconds optional, `Z` or an offset.
    public static func parse(_ text: String) -> Date? {
        let full = ISO8601DateFormatter()
        full.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = full.date(from: text) { return d }
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        return plain.date(from: text)
    }

    static func decodeIfPresent<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K) throws -> Date? {
        guard let text = try c.decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let date = parse(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "not an RFC 3339 time: \(text)")
        }
        return date
    }
}

/// What `GET /api/v1/alerts` on Seismo reports for one alert: its state, the last score
/// and value that drove it, and when it changed state.
public struct AlertStatus: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable { case pending, firing, resolved }
    public var rule: String
    public var state: State
    /// Last group score observed (0…1).
    public var score: Double
    /// Last value of the top-scoring series of the group.
    public var value: Double
    /// Canonical selector of the top-scoring series at the last observation.
    public var series: String
    public var activeAt: Date
    public var firedAt: Date?
    public var resolvedAt: Date?
    public var labels: [String: String]
    public var annotations: [String: String]

    enum CodingKeys: String, CodingKey {
        case rule, state, score, value, series, activeAt, firedAt, resolvedAt, labels, annotations
    }

    public init(rule: String, state: State, score: Double, value: Double, series: String, activeAt: Date,
                firedAt: Date?, resolvedAt: Date?, labels: [String: String], annotations: [String: String]) {
        self.rule = rule
        self.state = state
        self.score = score
        self.value = value
        self.series = series
        self.activeAt = activeAt
        self.firedAt = firedAt
        self.resolvedAt = resolvedAt
        self.labels = labels
        self.annotations = annotations
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(rule, forKey: .rule)
        try c.encode(state, forKey: .state)
        // JSON has no NaN/Inf; a detector warming up may report NaN, so write null then.
        try c.encode(score.isFinite ? score : nil, forKey: .score)
        try c.encode(value.isFinite ? value : nil, forKey: .value)
        try c.encode(series, forKey: .series)
        try c.encode(RFC3339.format(activeAt), forKey: .activeAt)
        try c.encode(firedAt.map(RFC3339.format), forKey: .firedAt)
        try c.encode(resolvedAt.map(RFC3339.format), forKey: .resolvedAt)
        try c.encode(labels, forKey: .labels)
        try c.encode(annotations, forKey: .annotations)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        rule = try c.decode(String.self, forKey: .rule)
        state = try c.decode(State.self, forKey: .state)
        score = try c.decodeIfPresent(Double.self, forKey: .score) ?? .nan
        value = try c.decodeIfPresent(Double.self, forKey: .value) ?? .nan
        series = try c.decode(String.self, forKey: .series)
        guard let active = try RFC3339.decodeIfPresent(c, .activeAt) else {
            throw DecodingError.keyNotFound(CodingKeys.activeAt, .init(codingPath: c.codingPath, debugDescription: "activeAt missing"))
        }
        activeAt = active
        firedAt = try RFC3339.decodeIfPresent(c, .firedAt)
        resolvedAt = try RFC3339.decodeIfPresent(c, .resolvedAt)
        labels = try c.decode([String: String].self, forKey: .labels)
        annotations = try c.decode([String: String].self, forKey: .annotations)
    }
}
