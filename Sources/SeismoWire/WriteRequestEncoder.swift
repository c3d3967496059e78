import CSeismoPromPB
import SeismoModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Test/benchmark helper: builds a snappy-compressed WriteRequest with protobuf-c pack.
///
/// Labels are written in the order given (not sorted), so tests can build invalid
/// requests too. Strings go through C strings: a NUL inside a name or value ends it.
/// protobuf-c omits a -0.0 sample value as the proto3 default, so it decodes as +0.0
/// (every other bit pattern, NaN payloads included, survives).
public enum WriteRequestEncoder {
    public typealias Series = (labels: [(name: String, value: String)], samples: [(timestampMs: Int64, value: Double)])

    /// The snappy-compressed body, as a sender would POST it.
    public static func encode(series: [(labels: [(name: String, value: String)], samples: [(timestampMs: Int64, value: Double)])],
                              metadata: [MetricMetadata] = []) -> [UInt8] {
        Snappy.compress(encodeProtobuf(series: series, metadata: metadata))
    }

    /// The uncompressed WriteRequest protobuf.
    public static func encodeProtobuf(series: [(labels: [(name: String, value: String)], samples: [(timestampMs: Int64, value: Double)])],
                                      metadata: [MetricMetadata] = []) -> [UInt8] {
        var owned = Allocations()
        defer { owned.freeAll() }

        var request = Prometheus__WriteRequest()
        prometheus__write_request__init(&request)

        let seriesPointers = owned.array(of: UnsafeMutablePointer<Prometheus__TimeSeries>.self, count: series.count)
        for (i, s) in series.enumerated() {
            let ts = owned.object(Prometheus__TimeSeries.self, prometheus__time_series__init)
            let labels = owned.array(of: UnsafeMutablePointer<Prometheus__Label>.self, count: s.labels.count)
            for (j, l) in s.labels.enumerated() {
                let label = owned.object(Prometheus__Label.self, prometheus__label__init)
                label.pointee.name = owned.string(l.name)
                label.pointee.value = owned.string(l.value)
                labels?[j] = label
            }
            ts.pointee.n_labels = s.labels.count
            ts.pointee.labels = labels
            let samples = owned.array(of: UnsafeMutablePointer<Prometheus__Sample>.self, count: s.samples.count)
            for (j, sample) in s.samples.enumerated() {
                let p = owned.object(Prometheus__Sample.self, prometheus__sample__init)
                p.pointee.timestamp = sample.timestampMs
                p.pointee.value = sample.value
                samples?[j] = p
            }
            ts.pointee.n_samples = s.samples.count
            ts.pointee.samples = samples
            seriesPointers?[i] = ts
        }
        request.n_timeseries = series.count
        request.timeseries = seriesPointers

        let metadataPointers = owned.array(of: UnsafeMutablePointer<Prometheus__MetricMetadata>.self, count: metadata.count)
        for (i, m) in metadata.enumerated() {
            let p = owned.object(Prometheus__MetricMetadata.self, prometheus__metric_metadata__init)
            p.pointee.type = Prometheus__MetricMetadata__MetricType(rawValue: numericCast(m.kind.rawValue))
            p.pointee.metric_family_name = owned.string(m.family)
            p.pointee.help = owned.string(m.help)
            p.pointee.unit = owned.string(m.unit)
            metadataPointers?[i] = p
        }
        request.n_metadata = metadata.count
        request.metadata = metadataPointers

        let size = prometheus__write_request__get_packed_size(&request)
        var out = [UInt8](repeating: 0, count: size)
        if size > 0 {
            let written = out.withUnsafeMutableBufferPointer { prometheus__write_request__pack(&request, $0.baseAddress) }
            precondition(written == size, "protobuf-c pack wrote \(written) of \(size) bytes")
        }
        return out
    }

    /// Every C allocation made while building one request, freed together.
    private struct Allocations {
        var pointers: [UnsafeMutableRawPointer] = []  // from allocate(capacity:)
        var cStrings: [UnsafeMutablePointer<CChar>] = []  // from strdup

        mutating func object<T>(_ type: T.Type, _ initialize: (UnsafeMutablePointer<T>) -> Void) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: 1)
            pointers.append(UnsafeMutableRawPointer(p))
            initialize(p)
            return p
        }

        /// nil for an empty array, as protobuf-c expects with a zero count.
        mutating func array<T>(of type: T.Type, count: Int) -> UnsafeMutablePointer<T?>? {
            guard count > 0 else { return nil }
            let p = UnsafeMutablePointer<T?>.allocate(capacity: count)
            p.initialize(repeating: nil, count: count)
            pointers.append(UnsafeMutableRawPointer(p))
            return p
        }

        mutating func string(_ s: String) -> UnsafeMutablePointer<CChar> {
            let p = strdup(s)!
            cStrings.append(p)
            return p
        }

        func freeAll() {
            // The structures hold only trivial values and pointers, so no deinitialize.
            for p in pointers { p.deallocate() }
            for p in cStrings { free(p) }
        }
    }
}
