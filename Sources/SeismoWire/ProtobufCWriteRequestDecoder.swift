import CSeismoPromPB
import SeismoModel

/// The protobuf-c based remote-write 1.0 decoder: the **oracle** the Swift walker
/// (`WriteRequestDecoder`) is checked against by the differential tests and the `rw1`
/// fuzz target. Not used by the server. Not thread-safe: one per thread; it owns an
/// arena (reset per request) and a scratch buffer.
///
/// protobuf-c unpacks into the arena; the decoder walks the C structures with pointers,
/// validates each series' labels on their bytes and appends straight into the flat
/// arrays of a `WriteBatch`. No C pointer outlives a `decode` call.
public final class ProtobufCWriteRequestDecoder {
    public let limits: WireLimits

    /// Size of the arena's single block (see `DecodeArena` for the sizing policy).
    public var arenaCapacity: Int { arena.capacity }
    /// Arena bytes the last decoded request used.
    public var lastArenaBytes: Int { arena.lastUsed }

    private let arena = DecodeArena()
    private var scratch: [UInt8] = []


    public init(limits: WireLimits = WireLimits()) {
        self.limits = limits
    }


    /// body = the raw HTTP body (snappy block). Appends to `batch` (caller clears it).
    /// An empty body is a valid empty request.
    public func decode(snappyBody: UnsafeRawBufferPointer, into batch: inout WriteBatch) throws {
        if snappyBody.count == 0 { return }
        try Snappy.decodeBody(snappyBody, limits: limits, scratch: &scratch) { try decodeChecked($0, into: &batch) }
    }

    /// Decodes an uncompressed WriteRequest protobuf. Appends to `batch`.
    public func decode(protobuf: UnsafeRawBufferPointer, into batch: inout WriteBatch) throws {
        try limits.checkProtobufSize(protobuf.count)
        try decodeChecked(protobuf, into: &batch)
    }

    private func decodeChecked(_ buf: UnsafeRawBufferPointer, into batch: inout WriteBatch) throws {
        guard buf.count > 0, let base = buf.baseAddress else { return }
        // BatchSeries offsets are Int32. Every key byte comes from a Label message of at
        // least the same size, and every sample from a Sample message of more than one
        // byte, so checking against the request size up front means no series can
        // overflow mid-way and leave the batch half-filled.
        try WireError.checkBatchOffsets(keyBytes: batch.labelBytes.count + buf.count,
                                        samples: batch.timestamps.count + buf.count, requestBytes: buf.count)

        guard let request = prometheus__write_request__unpack(
            arena.allocator, buf.count, base.assumingMemoryBound(to: UInt8.self))
        else {
            arena.reset()
            throw WireError.malformed("protobuf: cannot decode WriteRequest (\(buf.count) bytes)")
        }
        defer { arena.recycle() }
        let seriesCount = Int(request.pointee.n_timeseries)
        guard seriesCount <= limits.maxSeriesPerRequest else {
            throw limits.tooManySeries(seriesCount)
        }
        append(request.pointee, to: &batch)
    }

    private func append(_ request: Prometheus__WriteRequest, to batch: inout WriteBatch) {
        if request.n_timeseries > 0, let all = request.timeseries {
            let count = Int(request.n_timeseries)
            var totalSamples = 0
            for i in 0..<count { totalSamples += Int(all[i]!.pointee.n_samples) }
            let needed = batch.timestamps.count + totalSamples
            if batch.timestamps.capacity < needed { batch.timestamps.reserveCapacity(needed) }
            if batch.valueBits.capacity < needed { batch.valueBits.reserveCapacity(needed) }
            for i in 0..<count {
                appendSeries(all[i]!.pointee, to: &batch)
            }
        }
        if request.n_metadata > 0, let all = request.metadata {
            for i in 0..<Int(request.n_metadata) {
                let m = all[i]!.pointee
                batch.metadata.append(MetricMetadata(
                    kind: MetricMetadata.Kind(rawValue: Int(truncatingIfNeeded: m.type.rawValue)) ?? .unknown,
                    family: CStrings.string(m.metric_family_name),
                    help: CStrings.string(m.help),
                    unit: CStrings.string(m.unit)))
            }
        }
    }

    @inline(__always)
    private func appendSeries(_ ts: Prometheus__TimeSeries, to batch: inout WriteBatch) {
        batch.exemplarsIgnored += Int(ts.n_exemplars)
        let sampleCount = Int(ts.n_samples)
        let histogramCount = Int(ts.n_histograms)
        if sampleCount == 0 && histogramCount == 0 { return }  // nothing to store or lose

        let keyStart = batch.labelBytes.count
        if let reason = appendKey(ts, to: &batch.labelBytes) {
            batch.labelBytes.removeSubrange(keyStart...)
            batch.rejections.add(reason, samples: sampleCount + histogramCount, wholeSeries: true) {
                Self.selectorExample(ts)
            }
            return
        }
        if histogramCount > 0 {
            batch.rejections.add(.nativeHistogram, samples: histogramCount) { Self.selectorExample(ts) }
        }
        guard sampleCount > 0, let samples = ts.samples else {
            batch.labelBytes.removeSubrange(keyStart...)
            return
        }
        batch.series.append(BatchSeries(
            keyOffset: Int32(truncatingIfNeeded: keyStart),
            keyLength: Int32(truncatingIfNeeded: batch.labelBytes.count - keyStart),
            sampleOffset: Int32(truncatingIfNeeded: batch.timestamps.count),
            sampleCount: Int32(truncatingIfNeeded: sampleCount)))
        for j in 0..<sampleCount {
            let s = samples[j]!
            batch.timestamps.append(s.pointee.timestamp)
            batch.valueBits.append(s.pointee.value.bitPattern)
        }
    }

    /// Validates the series' labels in order and appends its canonical key. Returns the
    /// first rule broken (the caller then removes the partial key).
    private func appendKey(_ ts: Prometheus__TimeSeries, to key: inout [UInt8]) -> RejectionReason? {
        let n = Int(ts.n_labels)
        guard n > 0, let labels = ts.labels else { return .missingMetricName }
        var builder = SeriesKeyBuilder(limits: limits)
        for i in 0..<n {
            let label = labels[i]!.pointee
            let (name, nameLength) = CStrings.bytes(label.name)
            let (value, valueLength) = CStrings.bytes(label.value)
            if let reason = builder.add(name: name, nameLength, value: value, valueLength, to: &key) { return reason }
        }
        return builder.finish()
    }

    /// The selector text of a refused series (cold path: once per reason and request),
    /// cut to about `exampleLimit` characters.
    static func selectorExample(_ ts: Prometheus__TimeSeries) -> String {
        var pairs: [(name: String, value: String)] = []
        if let labels = ts.labels {
            for i in 0..<Int(ts.n_labels) {
                let l = labels[i]!.pointee
                pairs.append((CStrings.string(l.name), CStrings.string(l.value)))
            }
        }
        return WriteRequestDecoder.example(pairs)
    }
}
