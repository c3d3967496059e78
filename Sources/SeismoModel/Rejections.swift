/// Why a sample was refused. Raw values are stable: they are metric label values
/// (`seismo_rejected_samples_total{reason=…}`) and appear in 400 bodies.
public enum RejectionReason: String, CaseIterable, Sendable {
    case missingMetricName = "missing_metric_name"
    case invalidMetricName = "invalid_metric_name"
    case invalidLabelName = "invalid_label_name"
    case emptyLabelName = "empty_label_name"
    case emptyLabelValue = "empty_label_value"
    case duplicateLabelName = "duplicate_label_name"
    case unsortedLabels = "unsorted_labels"
    case invalidUTF8 = "invalid_utf8"
    case nativeHistogram = "native_histogram_unsupported"
    case tooOld = "too_old"
    case tooFarInFuture = "too_far_in_future"
    case tooManyLabels = "too_many_labels"
    case labelNameTooLong = "label_name_too_long"
    case labelValueTooLong = "label_value_too_long"
    case seriesLimit = "series_limit"

    /// Human wording for 400 bodies and logs.
    public var explanation: String {
        switch self {
        case .missingMetricName: return "series without __name__"
        case .invalidMetricName: return "metric name not matching [a-zA-Z_:][a-zA-Z0-9_:]*"
        case .invalidLabelName: return "label name not matching [a-zA-Z_][a-zA-Z0-9_]*"
        case .emptyLabelName: return "empty label name"
        case .emptyLabelValue: return "empty label value"
        case .duplicateLabelName: return "duplicate label name"
        case .unsortedLabels: return "labels not sorted by name"
        case .invalidUTF8: return "label not valid UTF-8"
        case .nativeHistogram: return "native histogram samples (not supported; float samples only)"
        case .tooOld: return "sample older than the open window (already sealed or beyond the out-of-order window)"
        case .tooFarInFuture: return "sample timestamp too far in the future"
        case .tooManyLabels: return "series with more labels than limits.max_labels_per_series"
        case .labelNameTooLong: return "label name longer than limits.max_label_name_length"
        case .labelValueTooLong: return "label value longer than limits.max_label_value_length"
        case .seriesLimit: return "new series beyond limits.max_series (existing series are still accepted)"
        }
    }
}

/// Counts of refused samples by reason, plus one example per reason for the error body.
public struct Rejections: Sendable {
    public private(set) var counts = [Int](repeating: 0, count: RejectionReason.allCases.count)
    public private(set) var examples = [String?](repeating: nil, count: RejectionReason.allCases.count)
    /// Series (TimeSeries entries) refused as a whole, e.g. for bad labels.
    public private(set) var series = 0

    public init() {}

    public var total: Int { counts.reduce(0, +) }
    public var isEmpty: Bool { total == 0 && series == 0 }

    public func count(_ reason: RejectionReason) -> Int { counts[Self.index(reason)] }

    /// Records `samples` refused samples. `example` is built lazily, only for the first one.
    public mutating func add(_ reason: RejectionReason, samples: Int, wholeSeries: Bool = false, example: () -> String) {
        let i = Self.index(reason)
        counts[i] += samples
        if wholeSeries { series += 1 }
        if examples[i] == nil { examples[i] = example() }
    }

    public mutating func merge(_ other: Rejections) {
        for i in counts.indices {
            counts[i] += other.counts[i]
            if examples[i] == nil { examples[i] = other.examples[i] }
        }
        series += other.series
    }

    /// The error body's first line: the problem first, then counts (senders keep only
    /// the first 1024 bytes), then one example line per reason.
    public func describe(stored: Int) -> String {
        var parts: [String] = []
        var lines: [String] = []
        for reason in RejectionReason.allCases {
            let n = count(reason)
            guard n > 0 || (examples[Self.index(reason)] != nil) else { continue }
            parts.append("\(n) \(reason.explanation) [\(reason.rawValue)]")
            if let ex = examples[Self.index(reason)] { lines.append("\(reason.rawValue): \(ex)") }
        }
        let head = "rejected \(total) samples (\(parts.joined(separator: "; "))); stored \(stored) samples"
        return ([head] + lines).joined(separator: "\n")
    }

    @inline(__always)
    static func index(_ reason: RejectionReason) -> Int {
        switch reason {
        case .missingMetricName: return 0
        case .invalidMetricName: return 1
        case .invalidLabelName: return 2
        case .emptyLabelName: return 3
        case .emptyLabelValue: return 4
        case .duplicateLabelName: return 5
        case .unsortedLabels: return 6
        case .invalidUTF8: return 7
        case .nativeHistogram: return 8
        case .tooOld: return 9
        case .tooFarInFuture: return 10
        case .tooManyLabels: return 11
        case .labelNameTooLong: return 12
        case .labelValueTooLong: return 13
        case .seriesLimit: return 14
        }
    }
}
