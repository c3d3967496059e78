/// A decoded, validated write request in flat arrays, ready for the store.
///
/// The wire layer fills it; the store consumes it. Flat arrays instead of one
/// object per series keep the hot path free of per-sample heap allocations: a batch
/// is reused across requests with `removeAll(keepingCapacity: true)`.
public struct WriteBatch {
    /// Canonical label keys (see `LabelKey`) back to back.
    public var labelBytes: [UInt8] = []
    /// One entry per accepted TimeSeries entry of the request. The same label set may
    /// appear more than once (Prometheus repeats series within a batch); the store
    /// maps both to the same column, which is how repeated series are merged.
    public var series: [BatchSeries] = []
    /// Sample timestamps in milliseconds since the Unix epoch, grouped by series.
    public var timestamps: [Int64] = []
    /// Sample values as IEEE-754 bit patterns (so stale-marker NaNs stay bit-exact).
    public var valueBits: [UInt64] = []
    /// Metric metadata carried by the request (type, help, unit per metric family).
    public var metadata: [MetricMetadata] = []
    /// What the wire layer refused, by reason. The store adds its own refusals.
    public var rejections = Rejections()
    /// Exemplars seen and not stored (Seismo keeps float samples only).
    public var exemplarsIgnored = 0

    public init() {}

    public mutating func removeAll(keepingCapacity: Bool = true) {
        labelBytes.removeAll(keepingCapacity: keepingCapacity)
        series.removeAll(keepingCapacity: keepingCapacity)
        timestamps.removeAll(keepingCapacity: keepingCapacity)
        valueBits.removeAll(keepingCapacity: keepingCapacity)
        metadata.removeAll(keepingCapacity: keepingCapacity)
        rejections = Rejections()
        exemplarsIgnored = 0
    }

    public var sampleCount: Int { timestamps.count }

    /// Convenience for tests and tools: appends one series with its samples.
    public mutating func append(labels: [(name: String, value: String)], samples: [(timestampMs: Int64, value: Double)]) {
        let key = LabelKey.encode(labels)
        series.append(BatchSeries(
            keyOffset: Int32(labelBytes.count), keyLength: Int32(key.count),
            sampleOffset: Int32(timestamps.count), sampleCount: Int32(samples.count)))
        labelBytes.append(contentsOf: key)
        for s in samples {
            timestamps.append(s.timestampMs)
            valueBits.append(s.value.bitPattern)
        }
    }
}

public struct BatchSeries: Equatable {
    public var keyOffset: Int32
    public var keyLength: Int32
    public var sampleOffset: Int32
    public var sampleCount: Int32
    /// The store's id for this series when the producer already knows it (the wire
    /// decoder learns ids from the store for label sets it has seen before), else
    /// `BatchSeries.unresolved`. A hinted series carries no key (`keyLength` 0): the
    /// hint is only ever given by a decoder that learnt it from the same store, whose
    /// ids are permanent, so the key would be looked up only to find the same id.
    public var seriesHint: UInt32

    public static let unresolved = UInt32.max

    public init(keyOffset: Int32, keyLength: Int32, sampleOffset: Int32, sampleCount: Int32,
                seriesHint: UInt32 = BatchSeries.unresolved) {
        self.keyOffset = keyOffset
        self.keyLength = keyLength
        self.sampleOffset = sampleOffset
        self.sampleCount = sampleCount
        self.seriesHint = seriesHint
    }
}

public struct MetricMetadata: Equatable, Codable {
    /// Prometheus metric types, numbered as in remote write 1.0.
    public enum Kind: Int, Codable {
        case unknown = 0, counter, gauge, histogram, gaugeHistogram, summary, info, stateSet
    }
    public var kind: Kind
    public var family: String
    public var help: String
    public var unit: String

    public init(kind: Kind, family: String, help: String, unit: String) {
        self.kind = kind
        self.family = family
        self.help = help
        self.unit = unit
    }
}

/// The NaN bit pattern Prometheus uses to mark a series as ended (model/value StaleNaN).
/// Compare bits, never values: NaN != NaN.
public let staleMarkerBits: UInt64 = 0x7ff0_0000_0000_0002
