import SeismoParquet

/// Store settings. Every field has a default; the CLI maps flags and YAML onto it.
public struct StoreConfig: Sendable {
    /// Root of the data directory (created if missing).
    public var dataDirectory: String
    /// Out-of-order window: samples older than (newest second seen − window) are refused.
    public var headWindowSeconds: Int64 = 600
    /// Length of a sealed segment; segments are aligned to multiples of it (UTC epoch).
    public var segmentSpanSeconds: Int64 = 3600
    /// Segments ending longer ago than this (wall clock) are deleted; 0 keeps everything.
    public var retentionSeconds: Int64 = 0
    /// Maximum series columns per Parquet file of a segment (bounds footer size).
    public var columnsPerFile: Int = 1000
    /// Samples further than this ahead of the wall clock are refused (Prometheus: 10 min).
    public var maxFutureMilliseconds: Int64 = 600_000
    /// WAL files rotate at this size.
    public var walFileBytes: Int = 64 << 20
    /// Unwritten WAL bytes beyond which writes get 503 (the disk cannot keep up).
    public var maxPendingWALBytes: Int = 256 << 20
    /// Cardinality cap: samples of series beyond this many are refused (reason
    /// `series_limit`); series that exist keep flowing. Bounds memory under a
    /// cardinality attack: each series costs its catalog entry plus, while it has samples
    /// in the open segment, one 320-byte dense head page (older pages are compressed and
    /// spilled to DIR/head). Measured with bench/head_rss.py (1 Hz node_exporter-like
    /// series, RSS growth / series): 50k series × 300 s ≈ 0.96 KiB each without detection,
    /// 1.3 KiB with it; 5k series × 3500 s ≈ 2.2 KiB (the dense head took 36 KiB). The
    /// default, 250k, keeps the head near 250–550 MiB; size it to the host
    /// (`limits.max_series`). Spill files take ~compressed-sample bytes of disk (a few
    /// bytes per sample) until their segment is sealed.
    public var maxSeries: Int = 250_000
    /// How sealed segments lay out their DOUBLE values. BYTE_STREAM_SPLIT makes segments
    /// about 40 % smaller with snappy (see `ParquetDoubleEncoding`); PLAIN is for readers
    /// that lack it (fastparquet). Readers here accept both, so changing it is safe.
    public var segmentDoubleEncoding: ParquetDoubleEncoding = .byteStreamSplit
    /// Whether a series whose values in a segment are all whole numbers (|v| <= 2^53, no
    /// NaN or stale marker, no -0.0) is stored as an INT64 column with delta coding
    /// instead of DOUBLE. Exact in every reader and about a quarter smaller on
    /// node_exporter-like data (BENCHMARKS.md); the cost is that one series' column
    /// type can differ between segments, which readers unify to DOUBLE when asked
    /// (docs/storage-format.md §5). Readers here accept both.
    public var segmentIntegerColumns = true
    /// Whether each segment file's `seismo.series` metadata repeats every column's label
    /// set (format 1: `{"column", "id", "labels"}` objects) or holds only the series ids in
    /// column order (format 2, the default). The column name already is the canonical
    /// selector, which parses back to the label set, and the repeated labels were about
    /// 220 of the ~450 footer bytes per column: 0.2 B/sample at 1 Hz over a one-hour
    /// segment, about 1 B/sample at a 15 s scrape interval (docs/storage-format.md §5.1).
    public var segmentFooterLabels = false

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }

    public func validate() throws {
        guard segmentSpanSeconds >= 60, segmentSpanSeconds <= 86_400 * 7 else {
            throw StoreError.invalidConfig("segment span must be between 1m and 7d, got \(segmentSpanSeconds)s")
        }
        guard headWindowSeconds >= 1 else {
            throw StoreError.invalidConfig("head window must be at least 1s, got \(headWindowSeconds)s")
        }
        guard columnsPerFile >= 1 else { throw StoreError.invalidConfig("columns per file must be at least 1") }
        guard retentionSeconds >= 0 else { throw StoreError.invalidConfig("retention must not be negative") }
    }
}

/// Store failures, split by what the sender should do about them.
public enum StoreError: Error, CustomStringConvertible {
    /// Temporary: the WAL cannot keep up. Retry later (HTTP 503 + Retry-After).
    case overloaded(String)
    /// Writing to disk failed (disk full, I/O error). Retry later (HTTP 500/503).
    case storageFailure(String)
    /// The store is closing.
    case closed
    case invalidConfig(String)
    /// Another process holds the data directory.
    case locked(String)
    case corruption(String)

    public var description: String {
        switch self {
        case .overloaded(let m): return "store overloaded: \(m)"
        case .storageFailure(let m): return "storage failure: \(m)"
        case .closed: return "store is shutting down"
        case .invalidConfig(let m): return "invalid store configuration: \(m)"
        case .locked(let m): return "data directory locked: \(m)"
        case .corruption(let m): return "corruption: \(m)"
        }
    }
}
