import SeismoModel

/// Decodes remote-write 1.0 bodies by walking the protobuf bytes in place: no
/// intermediate messages, no per-message allocation. Not thread-safe: one per
/// thread/event loop; it owns a scratch buffer for the decompressed body and a
/// `SeriesIdCache`, so steady-state decoding does no heap allocation at all.
///
/// Per TimeSeries: one pass over its fields appends the samples and checks exemplars
/// and histograms to protobuf-c's depth, noting where the labels are. When the labels
/// are one contiguous run of bytes (as every sender writes them), the run is looked up
/// in the cache; a hit gives the store's id for the series (`BatchSeries.seriesHint`,
/// no key). A miss, or labels interleaved with other fields, takes the full path: each
/// label read and checked by `SeriesKeyBuilder` (the rules shared with the 2.0 decoder)
/// while the key is built. The ids the store then assigns are handed back with `learn`.
///
/// A decoder that learns ids serves one store for its whole life (ids are per store).
/// Until `learn` is called the cache stays empty and every batch carries keys only.
///
/// The result — batch contents (with hinted series expanded to their keys), rejections
/// with their example texts, errors — is the same as `ProtobufCWriteRequestDecoder`'s, which stays as the oracle of the
/// differential tests and the `rw1` fuzz target. A body that fails anywhere is refused
/// whole and leaves `batch` as it was.
public final class WriteRequestDecoder {
    public let limits: WireLimits

    /// Series whose id is cached (for tests and benchmarks).
    public var cachedSeries: Int { cache.count }
    /// Times the series cache was emptied because it was full.
    public var seriesCacheResets: Int { cache.resets }
    /// Bytes of raw labels (with entry headers) the cache holds, and its slot-table size.
    public var seriesCacheFootprint: (bytes: Int, slots: Int) { (cache.storedBytes, cache.slotCount) }

    private var scratch: [UInt8] = []
    private var cache: SeriesIdCache
    /// Cache misses of the last decode that `learn` may add: where their raw label bytes
    /// are in `missedLabels` (copied: a protobuf body is the caller's and may be gone by
    /// then), their hash, and the index of their entry in `batch.series`.
    private var missed: [(offset: Int32, length: Int32, hash: UInt64, series: Int32)] = []
    private var missedLabels: [UInt8] = []

    /// Selector examples of refused series are cut to about this many characters.
    static let exampleLimit = 200

    /// The selector text of a refused series' labels, cut to about `exampleLimit`
    /// characters: the example every write decoder (1.0, its oracle, 2.0) reports.
    static func example(_ pairs: [(name: String, value: String)]) -> String {
        let text = LabelKey.selector(pairs)
        return text.count > exampleLimit ? String(text.prefix(exampleLimit)) + "…" : text
    }

    /// `seriesCacheEntries`/`seriesCacheBytes` bound the series cache (see
    /// `SeriesIdCache`); entries 0 disables it.
    public init(limits: WireLimits = WireLimits(), seriesCacheEntries: Int = 65_536, seriesCacheBytes: Int = 8 << 20) {
        self.limits = limits
        cache = SeriesIdCache(maxEntries: seriesCacheEntries, maxBytes: seriesCacheEntries > 0 ? seriesCacheBytes : 0)
    }

    /// Hands back the store's ids for the series of the batch the last `decode` filled:
    /// `ids[i]` for `batch.series[i]` (`BatchSeries.unresolved` where the store assigned
    /// none). Series that missed the cache in that decode are added to it.
    public func learn(_ ids: UnsafeBufferPointer<UInt32>) {
        defer {
            missed.removeAll(keepingCapacity: true)
            missedLabels.removeAll(keepingCapacity: true)
        }
        guard cache.maxEntries > 0 else { return }
        missedLabels.withUnsafeBufferPointer { labels in
            for m in missed where Int(m.series) < ids.count {
                let id = ids[Int(m.series)]
                guard id != BatchSeries.unresolved else { continue }
                let raw = labels.baseAddress! + Int(m.offset)
                // A label set repeated within one request missed twice.
                if cache.id(raw: raw, Int(m.length), hash: m.hash) == nil {
                    cache.insert(raw: raw, Int(m.length), hash: m.hash, id: id)
                }
            }
        }
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
        guard buf.count > 0, let raw = buf.baseAddress else { return }
        // BatchSeries offsets are Int32. Every key byte comes from a Label message of at
        // least the same size, and every sample from a Sample message of more than one
        // byte, so checking against the request size up front means no series can
        // overflow mid-way.
        try WireError.checkBatchOffsets(keyBytes: batch.labelBytes.count + buf.count,
                                        samples: batch.timestamps.count + buf.count, requestBytes: buf.count)
        let base = raw.assumingMemoryBound(to: UInt8.self)
        let mark = BatchMark(batch)
        missed.removeAll(keepingCapacity: true)
        missedLabels.removeAll(keepingCapacity: true)
        // The cache moves into a local for the request: a stored property of a class
        // would cost a runtime exclusivity check (and a retain) on every series.
        var cache = SeriesIdCache(maxEntries: 0, maxBytes: 0)
        swap(&cache, &self.cache)
        cache.beginRequest()
        defer { swap(&cache, &self.cache) }
        let seriesCount: Int
        do {
            seriesCount = try walkRequest(base, base + buf.count, cache: &cache, into: &batch)
        } catch {
            mark.restore(&batch)
            missed.removeAll(keepingCapacity: true)
            throw WireError.malformed("protobuf: cannot decode WriteRequest (\(buf.count) bytes): \(error.problem) at byte \(error.offset)")
        }
        // Checked after the walk, as protobuf-c did: a body that is also malformed is
        // reported as malformed.
        guard seriesCount <= limits.maxSeriesPerRequest else {
            mark.restore(&batch)
            missed.removeAll(keepingCapacity: true)
            throw limits.tooManySeries(seriesCount)
        }
    }

    /// WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
    /// Returns the number of TimeSeries entries.
    private func walkRequest(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>,
                             cache: inout SeriesIdCache, into batch: inout WriteBatch) throws(ProtoWireError) -> Int {
        var c = ProtoCursor(start, end, origin: start)
        var seriesCount = 0
        while !c.atEnd {
            let (field, wire) = try c.key()
            switch field {
            case 1:
                guard wire == WireType.lengthDelimited else { throw c.wrongWireType("WriteRequest", field: field, wire) }
                let (s, e) = try c.lengthDelimited()
                seriesCount += 1
                try timeSeries(s, e, origin: start, cache: &cache, into: &batch)
            case 3:
                guard wire == WireType.lengthDelimited else { throw c.wrongWireType("WriteRequest", field: field, wire) }
                let (s, e) = try c.lengthDelimited()
                var m = ProtoCursor(s, e, origin: start)
                let md = try RemoteWriteMessages.metadata(&m)
                batch.metadata.append(MetricMetadata(
                    kind: MetricMetadata.Kind(rawValue: Int(md.kind)) ?? .unknown,
                    family: md.family, help: md.help, unit: md.unit))
            default:
                try c.skip(wire)
            }
        }
        return seriesCount
    }

    /// TimeSeries { repeated Label labels = 1; repeated Sample samples = 2;
    ///              repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
    @inline(__always)
    private func timeSeries(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>,
                            origin: UnsafePointer<UInt8>, cache: inout SeriesIdCache,
                            into batch: inout WriteBatch) throws(ProtoWireError) {
        var c = ProtoCursor(start, end, origin: origin)
        var labelsStart: UnsafePointer<UInt8>?
        var labelsEnd = start
        var labelsContiguous = true
        var sampleCount = 0, histogramCount = 0, exemplarCount = 0
        let firstSample = batch.timestamps.count

        while !c.atEnd {
            let fieldStart = c.position
            // A label as Prometheus writes it — key 0x0A, one-byte length — is only
            // stepped over here, without the general key and length readers.
            if c.remaining >= 2 && fieldStart[0] == 0x0A && fieldStart[1] < 0x80 && Int(fieldStart[1]) + 2 <= c.remaining {
                if labelsStart == nil {
                    labelsStart = fieldStart
                } else if fieldStart != labelsEnd {
                    labelsContiguous = false
                }
                c.advance(Int(fieldStart[1]) + 2)
                labelsEnd = c.position
                continue
            }
            let (field, wire) = try c.key()
            guard field >= 1 && field <= 4 else {
                try c.skip(wire)
                continue
            }
            guard wire == WireType.lengthDelimited else { throw c.wrongWireType("TimeSeries", field: field, wire) }
            let (s, e) = try c.lengthDelimited()
            switch field {
            case 1:
                // Only located here; read on the full path, or not at all on a cache hit.
                if labelsStart == nil {
                    labelsStart = fieldStart
                } else if fieldStart != labelsEnd {
                    labelsContiguous = false
                }
                labelsEnd = c.position
            case 2:
                var m = ProtoCursor(s, e, origin: origin)
                let sample = try RemoteWriteMessages.sample(&m)
                batch.timestamps.append(sample.timestamp)
                batch.valueBits.append(sample.bits)
                sampleCount += 1
            case 3:
                var m = ProtoCursor(s, e, origin: origin)
                try RemoteWriteMessages.checkExemplar(&m)
                exemplarCount += 1
            default:
                var m = ProtoCursor(s, e, origin: origin)
                try RemoteWriteMessages.checkHistogram(&m)
                histogramCount += 1
            }
        }
        batch.exemplarsIgnored += exemplarCount

        // Where the labels are: their own run of bytes, or (interleaved with other
        // fields) the whole series, of which only field 1 is read.
        let labels: (start: UnsafePointer<UInt8>, end: UnsafePointer<UInt8>)
        if let labelsStart {
            labels = labelsContiguous ? (labelsStart, labelsEnd) : (start, end)
        } else {
            labels = (start, start)
        }
        if sampleCount == 0 && histogramCount == 0 {
            // Nothing to store or refuse, but the labels must still be well-formed.
            try forEachLabel(labels, origin: origin) { _ in }
            return
        }

        let keyStart = batch.labelBytes.count
        let cacheable = labelsStart != nil && labelsContiguous
        let rawLength = labels.end - labels.start
        var hash: UInt64?
        let hint = cacheable ? cache.id(raw: labels.start, rawLength, hash: &hash) : nil
        if hint == nil {
            if let reason = try appendKey(labels, origin: origin, to: &batch.labelBytes) {
                batch.labelBytes.removeSubrange(keyStart...)
                batch.timestamps.removeSubrange(firstSample...)
                batch.valueBits.removeSubrange(firstSample...)
                batch.rejections.add(reason, samples: sampleCount + histogramCount, wholeSeries: true) {
                    Self.selectorExample(labels, origin: origin)
                }
                return
            }
        }

        if histogramCount > 0 {
            batch.rejections.add(.nativeHistogram, samples: histogramCount) { Self.selectorExample(labels, origin: origin) }
        }
        guard sampleCount > 0 else {
            batch.labelBytes.removeSubrange(keyStart...)
            return
        }
        if hint == nil && cacheable && cache.maxEntries > 0 {
            missed.append((Int32(truncatingIfNeeded: missedLabels.count), Int32(truncatingIfNeeded: rawLength),
                           hash ?? SeriesIdCache.hash(labels.start, rawLength),
                           Int32(truncatingIfNeeded: batch.series.count)))
            missedLabels.append(contentsOf: UnsafeBufferPointer(start: labels.start, count: rawLength))
        }
        batch.series.append(BatchSeries(
            keyOffset: Int32(truncatingIfNeeded: keyStart),
            keyLength: Int32(truncatingIfNeeded: batch.labelBytes.count - keyStart),
            sampleOffset: Int32(truncatingIfNeeded: firstSample),
            sampleCount: Int32(truncatingIfNeeded: sampleCount),
            seriesHint: hint ?? BatchSeries.unresolved))
    }

    /// Calls `body` with each label (field 1) of `range`, in wire order; other fields
    /// are skipped (their structure was checked by the caller's pass).
    @inline(__always)
    private func forEachLabel(_ range: (start: UnsafePointer<UInt8>, end: UnsafePointer<UInt8>),
                              origin: UnsafePointer<UInt8>,
                              _ body: (RemoteWriteMessages.Label) -> Void) throws(ProtoWireError) {
        var c = ProtoCursor(range.start, range.end, origin: origin)
        while !c.atEnd {
            let (field, wire) = try c.key()
            guard field == 1 else {
                try c.skip(wire)
                continue
            }
            let (s, e) = try c.lengthDelimited()
            var m = ProtoCursor(s, e, origin: origin)
            body(try RemoteWriteMessages.label(&m))
        }
    }

    /// The full path: reads every label, checks them in order and appends the canonical
    /// key. Returns the first rule broken (the caller removes the partial key); the
    /// labels after it are still read, since a malformed one refuses the whole body.
    private func appendKey(_ range: (start: UnsafePointer<UInt8>, end: UnsafePointer<UInt8>),
                           origin: UnsafePointer<UInt8>, to key: inout [UInt8]) throws(ProtoWireError) -> RejectionReason? {
        var builder = SeriesKeyBuilder(limits: limits)
        var reason: RejectionReason?
        var count = 0
        try forEachLabel(range, origin: origin) { label in
            count += 1
            if reason == nil {
                reason = builder.add(name: label.name, label.nameLength, value: label.value, label.valueLength, to: &key)
            }
        }
        if count == 0 { return .missingMetricName }
        return reason ?? builder.finish()
    }

    /// The selector text of a series (cold path: once per reason and request), cut to
    /// about `exampleLimit` characters. Its labels were read once already, so cannot fail.
    static func selectorExample(_ range: (start: UnsafePointer<UInt8>, end: UnsafePointer<UInt8>),
                                origin: UnsafePointer<UInt8>) -> String {
        var pairs: [(name: String, value: String)] = []
        var c = ProtoCursor(range.start, range.end, origin: origin)
        while !c.atEnd {
            guard let (field, wire) = try? c.key() else { break }
            if field != 1 {
                guard (try? c.skip(wire)) != nil else { break }
                continue
            }
            guard let (s, e) = try? c.lengthDelimited() else { break }
            var m = ProtoCursor(s, e, origin: origin)
            guard let l = try? RemoteWriteMessages.label(&m) else { break }
            pairs.append((String(decoding: UnsafeBufferPointer(start: l.name, count: l.nameLength), as: UTF8.self),
                          String(decoding: UnsafeBufferPointer(start: l.value, count: l.valueLength), as: UTF8.self)))
        }
        return example(pairs)
    }
}

/// What a batch held before a request, so a refused request can leave it as it was.
private struct BatchMark {
    let labelBytes: Int, series: Int, samples: Int, metadata: Int
    let rejections: Rejections
    let exemplarsIgnored: Int

    init(_ batch: WriteBatch) {
        labelBytes = batch.labelBytes.count
        series = batch.series.count
        samples = batch.timestamps.count
        metadata = batch.metadata.count
        rejections = batch.rejections
        exemplarsIgnored = batch.exemplarsIgnored
    }

    func restore(_ batch: inout WriteBatch) {
        batch.labelBytes.removeSubrange(labelBytes...)
        batch.series.removeSubrange(series...)
        batch.timestamps.removeSubrange(samples...)
        batch.valueBits.removeSubrange(samples...)
        batch.metadata.removeSubrange(metadata...)
        batch.rejections = rejections
        batch.exemplarsIgnored = exemplarsIgnored
    }
}
