import SeismoStore

/// The study's tables (anomaly-detection-with-prometheus §4), for people reproducing it:
/// - `table_metrics.txt`: TSV, header `Time, Anomaly, Instance, metric…`, one row per
///   second, Time in Unix seconds, Instance = the state; a metric with several series is
///   numbered `name_0`, `name_1`, … in label order (the study's "Metric_0 | Metric_1");
/// - `table_anomalies.txt`: TSV, header `Timestamp_from, Timestamp_to, Anomaly type,
///   Anomaly details`, one anomaly interval per line in start order, Unix seconds.
public enum ThesisLayout {
    public static let metricsFileName = "table_metrics.txt"
    public static let anomaliesFileName = "table_anomalies.txt"
    static let fixedNames = ("Time", "Anomaly", "Instance")
    static let anomaliesHeader = "Timestamp_from\tTimestamp_to\tAnomaly type\tAnomaly details"

    /// `series` in label order; numbering restarts per metric name.
    static func columnNames(_ series: [ExportSeriesRef]) -> [String] {
        var counts: [String: Int] = [:]
        return series.map { s in
            let name = s.labels.first { $0.name == "__name__" }?.value ?? ""
            let n = counts[name, default: 0]
            counts[name] = n + 1
            return "\(name)_\(n)"
        }
    }

    /// The anomalies table for the intervals that are anomalies.
    public static func anomaliesTable(_ intervals: [LabelInterval]) -> String {
        func seconds(_ ms: Int64) -> String {
            let s = floorDiv(ms, 1000)
            let frac = ms - s * 1000
            return frac == 0 ? "\(s)" : "\(s).\(String(1000 + frac).dropFirst())"
        }
        func clean(_ s: String?) -> String { String((s ?? "").map { $0 == "\t" || $0 == "\n" || $0 == "\r" ? " " : $0 }) }
        var out = anomaliesHeader + "\n"
        for i in intervals.filter(\.isAnomaly).sorted(by: { ($0.fromMs, $0.toMs) < ($1.fromMs, $1.toMs) }) {
            out += "\(seconds(i.fromMs))\t\(seconds(i.toMs))\t\(clean(i.anomalyType))\t\(clean(i.details))\n"
        }
        return out
    }
}
