import SeismoModel

/// Test/benchmark helper: builds a remote-write 2.0 request (`io.prometheus.write.v2.Request`).
///
/// Written by hand rather than with protobuf-c's packer, so it checks the generated
/// decoder independently and can also build invalid requests (bad symbol tables,
/// out-of-range or odd references, unsorted labels). References and symbols are
/// written exactly as given. Scalars equal to their proto3 default (0, +0.0) are
/// omitted, as senders do; -0.0 and NaN payloads are kept bit-exact.
public enum WriteRequestV2Encoder {
    public struct Sample: Sendable {
        public var value: Double
        public var timestampMs: Int64
        public var startTimestampMs: Int64

        public init(value: Double, timestampMs: Int64, startTimestampMs: Int64 = 0) {
            self.value = value
            self.timestampMs = timestampMs
            self.startTimestampMs = startTimestampMs
        }
    }

    /// A minimal integer native histogram (count, sum, timestamp; no buckets).
    public struct Histogram: Sendable {
        public var count: UInt64
        public var sum: Double
        public var timestampMs: Int64

        public init(count: UInt64, sum: Double, timestampMs: Int64) {
            self.count = count
            self.sum = sum
            self.timestampMs = timestampMs
        }
    }

    public struct Exemplar: Sendable {
        public var labelsRefs: [UInt32]
        public var value: Double
        public var timestampMs: Int64

        public init(labelsRefs: [UInt32], value: Double, timestampMs: Int64) {
            self.labelsRefs = labelsRefs
            self.value = value
            self.timestampMs = timestampMs
        }
    }

    public struct Metadata {
        public var kind: MetricMetadata.Kind
        public var helpRef: UInt32
        public var unitRef: UInt32

        public init(kind: MetricMetadata.Kind, helpRef: UInt32 = 0, unitRef: UInt32 = 0) {
            self.kind = kind
            self.helpRef = helpRef
            self.unitRef = unitRef
        }
    }

    public struct Series {
        /// (name, value) index pairs into the symbols.
        public var labelsRefs: [UInt32]
        public var samples: [Sample]
        public var histograms: [Histogram]
        public var exemplars: [Exemplar]
        public var metadata: Metadata?

        public init(labelsRefs: [UInt32], samples: [Sample] = [], histograms: [Histogram] = [],
                    exemplars: [Exemplar] = [], metadata: Metadata? = nil) {
            self.labelsRefs = labelsRefs
            self.samples = samples
            self.histograms = histograms
            self.exemplars = exemplars
            self.metadata = metadata
        }
    }

    /// Builds a symbol table the way senders do: "" first, each string once.
    public struct SymbolTable: Sendable {
        public private(set) var symbols: [String] = [""]
        private var index: [String: UInt32] = ["": 0]

        public init() {}

        public mutating func ref(_ s: String) -> UInt32 {
            if let r = index[s] { return r }
            let r = UInt32(symbols.count)
            symbols.append(s)
            index[s] = r
            return r
        }

        /// Name/value refs of labels, in the order given.
        public mutating func refs(_ labels: [(name: String, value: String)]) -> [UInt32] {
            var out: [UInt32] = []
            for l in labels {
                out.append(ref(l.name))
                out.append(ref(l.value))
            }
            return out
        }
    }

    /// The snappy-compressed body, as a sender would POST it.
    public static func encode(symbols: [String], series: [Series]) -> [UInt8] {
        Snappy.compress(encodeProtobuf(symbols: symbols, series: series))
    }

    /// Convenience mirroring `WriteRequestEncoder.encode`: symbolizes the labels (in the
    /// order given) and attaches each metadata entry to the series whose `__name__` is
    /// its family.
    public static func encode(series: [(labels: [(name: String, value: String)], samples: [(timestampMs: Int64, value: Double)])],
                              metadata: [MetricMetadata] = []) -> [UInt8] {
        var table = SymbolTable()
        var out: [Series] = []
        for s in series {
            var entry = Series(labelsRefs: table.refs(s.labels),
                               samples: s.samples.map { Sample(value: $0.value, timestampMs: $0.timestampMs) })
            if let name = s.labels.first(where: { $0.name == "__name__" })?.value,
               let m = metadata.first(where: { $0.family == name }) {
                entry.metadata = Metadata(kind: m.kind, helpRef: table.ref(m.help), unitRef: table.ref(m.unit))
            }
            out.append(entry)
        }
        return encode(symbols: table.symbols, series: out)
    }

    /// The uncompressed Request protobuf.
    public static func encodeProtobuf(symbols: [String], series: [Series]) -> [UInt8] {
        var request = ProtoWriter()
        for s in symbols { request.bytesField(4, Array(s.utf8)) }
        for s in series {
            var ts = ProtoWriter()
            ts.packedVarints(1, s.labelsRefs.map(UInt64.init))
            for sample in s.samples {
                var m = ProtoWriter()
                m.doubleField(1, sample.value)
                m.varintField(2, UInt64(bitPattern: sample.timestampMs))
                m.varintField(3, UInt64(bitPattern: sample.startTimestampMs))
                ts.bytesField(2, m.bytes)
            }
            for h in s.histograms {
                var m = ProtoWriter()
                m.tag(1, 0)  // count_int: a oneof member is written even when 0
                m.varint(h.count)
                m.doubleField(3, h.sum)
                m.varintField(15, UInt64(bitPattern: h.timestampMs))
                ts.bytesField(3, m.bytes)
            }
            for e in s.exemplars {
                var m = ProtoWriter()
                m.packedVarints(1, e.labelsRefs.map(UInt64.init))
                m.doubleField(2, e.value)
                m.varintField(3, UInt64(bitPattern: e.timestampMs))
                ts.bytesField(4, m.bytes)
            }
            if let md = s.metadata {
                var m = ProtoWriter()
                m.varintField(1, UInt64(md.kind.rawValue))
                m.varintField(3, UInt64(md.helpRef))
                m.varintField(4, UInt64(md.unitRef))
                ts.bytesField(5, m.bytes)
            }
            request.bytesField(5, ts.bytes)
        }
        return request.bytes
    }

    /// Just enough of the protobuf wire format for the messages above.
    struct ProtoWriter {
        var bytes: [UInt8] = []

        /// Protobuf's base-128 varint is the one SeismoModel writes for label keys.
        mutating func varint(_ v: UInt64) { appendUVarint(v, to: &bytes) }

        mutating func tag(_ field: Int, _ wireType: Int) { varint(UInt64(field << 3 | wireType)) }

        mutating func varintField(_ field: Int, _ v: UInt64) {
            guard v != 0 else { return }
            tag(field, 0)
            varint(v)
        }

        mutating func doubleField(_ field: Int, _ v: Double) {
            let bits = v.bitPattern
            guard bits != 0 else { return }
            tag(field, 1)
            for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(i)))) }
        }

        mutating func bytesField(_ field: Int, _ data: [UInt8]) {
            tag(field, 2)
            varint(UInt64(data.count))
            bytes.append(contentsOf: data)
        }

        mutating func packedVarints(_ field: Int, _ values: [UInt64]) {
            guard !values.isEmpty else { return }
            var body = ProtoWriter()
            for v in values { body.varint(v) }
            bytesField(field, body.bytes)
        }
    }
}
