import SeismoModel
import SeismoParquet

public enum ExportFormat: String, Sendable, CaseIterable {
    case parquet, csv, tsv
}

public enum FillMode: String, Sendable {
    /// Null where the series had no sample that second.
    case none
    /// Carry the last value forward, for at most `fillLimitSeconds`.
    case previous
}

/// Everything that shapes the table; validated by `ExportPlanner`.
public struct ExportOptions: Sendable {
    /// `[from, to)` in milliseconds; nil = from the first / through the last second with data.
    public var fromMs: Int64?
    public var toMs: Int64?
    /// A series is exported when it matches any selector (as Prometheus `match[]`); none = all.
    public var selectors: [[LabelMatcher]] = []
    public var format: ExportFormat = .parquet
    /// Parquet page compression. SNAPPY by default (smaller files); `none` saves a third of
    /// the CPU when the bytes only cross a fast link.
    public var parquetCompression: ParquetCodec = .snappy
    public var fill: FillMode = .none
    /// Prometheus' default lookback delta: a value older than 5 minutes is not carried.
    public var fillLimitSeconds: Int64 = 300
    public var stepSeconds: Int64 = 1
    /// Drop series missing in any output row (the study's "inconsistent metrics" rule).
    public var dropIncomplete = false
    /// The study's `table_metrics.txt` layout (TSV, `Time`/`Anomaly`/`Instance`, metric_N names).
    public var thesis = false
    /// Intervals from `--labels` files; stored intervals (`/api/v1/labels`) are added.
    public var labelIntervals: [LabelInterval] = []
    /// Label columns even without any interval (set when label files were given).
    public var labelColumns = false
    public var useStoredIntervals = true
    /// Bound on one window's cell buffers (values + presence); windows shrink to fit.
    public var maxWindowBytes = 320 << 20

    public init() {}
}
