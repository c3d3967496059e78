import CSeismoPromPB
import SeismoModel

/// What a remote-write 2.0 request carried, as decoded: the raw material of the
/// `X-Prometheus-Remote-Write-{Samples,Histograms,Exemplars}-Written` response headers.
///
/// These are totals *received*, not written: the server reports as Samples-Written
/// what the store actually stored. Seismo stores float samples only, so its
/// Histograms-Written and Exemplars-Written are 0; `histograms` and `exemplars` say
/// how many were received (and so not written).
public struct V2Counts: Equatable, Sendable {
    /// Float samples in the request, including those of refused series.
    public var samples: Int
    /// Native histogram samples in the request (never stored).
    public var histograms: Int
    /// Exemplars in the request (never stored).
    public var exemplars: Int

    public init(samples: Int = 0, histograms: Int = 0, exemplars: Int = 0) {
        self.samples = samples
        self.histograms = histograms
        self.exemplars = exemplars
    }
}

/// Decodes remote-write 2.0 bodies (`io.prometheus.write.v2.Request`, spec 2.0-rc.4)
/// into the same `WriteBatch` as the 1.0 decoder. Not thread-safe: one per
/// thread/event loop; like `WriteRequestDecoder` it owns an arena (reset per request)
/// and scratch buffers, so steady-state decoding does no per-sample heap allocation.
///
/// The request is checked as a whole before anything is appended: `symbols[0]` must
/// be "", every symbol reference (series labels, exemplar labels, help, unit) must be
/// inside the table, label reference lists must have even length, and the label bytes
/// the references expand to are summed and capped at `limits.maxDecodedBytes` (a
/// small request can otherwise name a huge symbol many times). A request that fails
/// any of these throws and leaves `batch` untouched.
///
/// Then each series is handled like a 1.0 series: labels validated with the same
/// rules (`LabelRules`) and the refused series counted by reason, with good series in
/// the same request kept. Decisions particular to 2.0:
/// - native histograms are counted as refused (`.nativeHistogram`): Seismo stores
///   float samples only;
/// - exemplars are counted in `batch.exemplarsIgnored`;
/// - a series' metadata becomes a `batch.metadata` entry for its `__name__` (once per
///   distinct name/type/help/unit in a request; empty metadata and metadata of
///   series with invalid labels are dropped);
/// - `Sample.start_timestamp` is ignored.
public final class WriteRequestV2Decoder {
    public let limits: WireLimits

    /// Size of the arena's single block (see `DecodeArena` for the sizing policy).
    public var arenaCapacity: Int { arena.capacity }
    /// Arena bytes the last decoded request used.
    public var lastArenaBytes: Int { arena.lastUsed }

    private let arena = DecodeArena()
    private var scratch: [UInt8] = []
    /// Byte length of each symbol of the current request (protobuf-c gives C strings).
    private var symbolLengths: [Int] = []
    /// Metadata already emitted in the current request.
    private var seenMetadata: Set<MetadataRefs> = []

    public init(limits: WireLimits = WireLimits()) {
        self.limits = limits
    }


    /// body = the raw HTTP body (snappy block). Appends to `batch` (caller clears it).
    /// Unlike 1.0, an empty body is malformed: a 2.0 request always has `symbols[0]`.
    @discardableResult
    public func decode(snappyBody: UnsafeRawBufferPointer, into batch: inout WriteBatch) throws -> V2Counts {
        // An empty body gets to decodeChecked as an empty buffer, which refuses it.
        try Snappy.decodeBody(snappyBody, limits: limits, scratch: &scratch) { try decodeChecked($0, into: &batch) }
    }

    /// Decodes an uncompressed `io.prometheus.write.v2.Request` protobuf. Appends to `batch`.
    @discardableResult
    public func decode(protobuf: UnsafeRawBufferPointer, into batch: inout WriteBatch) throws -> V2Counts {
        try limits.checkProtobufSize(protobuf.count)
        return try decodeChecked(protobuf, into: &batch)
    }

    static let noEmptySymbol = WireError.malformed("rw2: symbols[0] must be the empty string")

    private func decodeChecked(_ buf: UnsafeRawBufferPointer, into batch: inout WriteBatch) throws -> V2Counts {
        guard buf.count > 0, let base = buf.baseAddress else { throw Self.noEmptySymbol }
        guard let request = io__prometheus__write__v2__request__unpack(
            arena.allocator, buf.count, base.assumingMemoryBound(to: UInt8.self))
        else {
            arena.reset()
            throw WireError.malformed("protobuf: cannot decode io.prometheus.write.v2.Request (\(buf.count) bytes)")
        }
        defer { arena.recycle() }
        let req = request.pointee
        let counts = try check(req, batch: batch, requestBytes: buf.count)
        guard let symbols = req.symbols else { throw Self.noEmptySymbol }  // check() saw n_symbols > 0
        let needed = batch.timestamps.count + counts.samples
        if batch.timestamps.capacity < needed { batch.timestamps.reserveCapacity(needed) }
        if batch.valueBits.capacity < needed { batch.valueBits.reserveCapacity(needed) }
        seenMetadata.removeAll(keepingCapacity: true)
        symbolLengths.withUnsafeBufferPointer { lengths in
            let table = SymbolTable(strings: symbols, lengths: lengths)
            for i in 0..<Int(req.n_timeseries) {
                appendSeries(req.timeseries![i]!.pointee, table, to: &batch)
            }
        }
        return counts
    }

    /// The whole-request checks (see the type's comment); fills `symbolLengths` and
    /// returns the request's totals. Appends nothing.
    private func check(_ req: Io__Prometheus__Write__V2__Request, batch: WriteBatch, requestBytes: Int) throws -> V2Counts {
        let symbolCount = Int(req.n_symbols)
        guard symbolCount > 0, let symbols = req.symbols, CStrings.length(symbols[0]) == 0 else { throw Self.noEmptySymbol }
        symbolLengths.removeAll(keepingCapacity: true)
        if symbolLengths.capacity < symbolCount { symbolLengths.reserveCapacity(symbolCount) }
        for i in 0..<symbolCount { symbolLengths.append(CStrings.length(symbols[i])) }

        var counts = V2Counts()
        var expanded = 0  // label name + value bytes the series' references expand to
        var labels = 0
        let seriesCount = Int(req.n_timeseries)
        guard seriesCount <= limits.maxSeriesPerRequest else {
            throw limits.tooManySeries(seriesCount)
        }
        for i in 0..<seriesCount {
            let ts = req.timeseries![i]!.pointee
            let n = Int(ts.n_labels_refs)
            if n % 2 != 0 {
                throw WireError.malformed("rw2: timeseries[\(i)] has an odd number of labels_refs (\(n))")
            }
            if n > 0, let refs = ts.labels_refs {
                for j in 0..<n {
                    let ref = Int(refs[j])
                    guard ref < symbolCount else { throw Self.badRef(ref, "timeseries[\(i)] label", symbolCount) }
                    expanded += symbolLengths[ref]
                }
                labels += n / 2
                guard expanded <= limits.maxDecodedBytes else {
                    throw WireError.tooLarge(
                        "rw2: labels expand to more than \(limits.maxDecodedBytes) bytes (at timeseries[\(i)])")
                }
            }
            if ts.n_exemplars > 0, let exemplars = ts.exemplars {
                for e in 0..<Int(ts.n_exemplars) {
                    let ex = exemplars[e]!.pointee
                    let m = Int(ex.n_labels_refs)
                    if m % 2 != 0 {
                        throw WireError.malformed("rw2: timeseries[\(i)] exemplar \(e) has an odd number of labels_refs (\(m))")
                    }
                    if m > 0, let refs = ex.labels_refs {
                        for j in 0..<m where Int(refs[j]) >= symbolCount {
                            throw Self.badRef(Int(refs[j]), "timeseries[\(i)] exemplar label", symbolCount)
                        }
                    }
                }
            }
            if let md = ts.metadata?.pointee {
                if Int(md.help_ref) >= symbolCount { throw Self.badRef(Int(md.help_ref), "timeseries[\(i)] help", symbolCount) }
                if Int(md.unit_ref) >= symbolCount { throw Self.badRef(Int(md.unit_ref), "timeseries[\(i)] unit", symbolCount) }
            }
            counts.samples += Int(ts.n_samples)
            counts.histograms += Int(ts.n_histograms)
            counts.exemplars += Int(ts.n_exemplars)
        }
        // BatchSeries offsets are Int32: a key is at most the expanded bytes plus two
        // length varints (≤ 5 bytes each) per label.
        try WireError.checkBatchOffsets(keyBytes: batch.labelBytes.count + expanded + 10 * labels,
                                        samples: batch.timestamps.count + counts.samples, requestBytes: requestBytes)
        return counts
    }

    private static func badRef(_ ref: Int, _ what: String, _ count: Int) -> WireError {
        WireError.malformed("rw2: \(what) ref \(ref) out of range: symbols table has \(count) entries")
    }

    /// The request's symbols, valid during one decode; every reference was checked.
    struct SymbolTable {
        let strings: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
        let lengths: UnsafeBufferPointer<Int>

        @inline(__always)
        func bytes(_ ref: UInt32) -> (UnsafePointer<UInt8>, Int) {
            let i = Int(ref)
            guard let s = strings[i] else { return (CStrings.empty, 0) }
            return (UnsafeRawPointer(s).assumingMemoryBound(to: UInt8.self), lengths[i])
        }

        func string(_ ref: UInt32) -> String {
            let (p, n) = bytes(ref)
            return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
        }
    }

    @inline(__always)
    private func appendSeries(_ ts: Io__Prometheus__Write__V2__TimeSeries, _ symbols: SymbolTable, to batch: inout WriteBatch) {
        batch.exemplarsIgnored += Int(ts.n_exemplars)
        let sampleCount = Int(ts.n_samples)
        let histogramCount = Int(ts.n_histograms)
        if sampleCount == 0 && histogramCount == 0 && ts.metadata == nil { return }  // nothing to store or lose

        let keyStart = batch.labelBytes.count
        let (reason, nameRef) = appendKey(ts, symbols, to: &batch.labelBytes)
        if let reason {
            batch.labelBytes.removeSubrange(keyStart...)
            if sampleCount + histogramCount > 0 {
                batch.rejections.add(reason, samples: sampleCount + histogramCount, wholeSeries: true) {
                    Self.selectorExample(ts, symbols)
                }
            }
            return
        }
        if let md = ts.metadata?.pointee {
            appendMetadata(md, nameRef: nameRef, symbols, to: &batch)
        }
        if histogramCount > 0 {
            batch.rejections.add(.nativeHistogram, samples: histogramCount) { Self.selectorExample(ts, symbols) }
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

    /// Validates the series' labels in order (the rules of `WriteRequestDecoder`) and
    /// appends its canonical key. Returns the first rule broken (the caller then removes
    /// the partial key), else the symbol reference of the `__name__` value.
    private func appendKey(_ ts: Io__Prometheus__Write__V2__TimeSeries, _ symbols: SymbolTable,
                           to key: inout [UInt8]) -> (RejectionReason?, UInt32) {
        let n = Int(ts.n_labels_refs)
        guard n > 0, let refs = ts.labels_refs else { return (.missingMetricName, 0) }
        var builder = SeriesKeyBuilder(limits: limits)
        var metricNameRef: UInt32 = 0
        var i = 0
        while i < n {
            let valueRef = refs[i + 1]
            let (name, nameLength) = symbols.bytes(refs[i])
            let (value, valueLength) = symbols.bytes(valueRef)
            i += 2
            if let reason = builder.add(name: name, nameLength, value: value, valueLength, to: &key) { return (reason, 0) }
            if builder.lastWasMetricName { metricNameRef = valueRef }
        }
        if let reason = builder.finish() { return (reason, 0) }
        return (nil, metricNameRef)
    }

    /// Metadata is per series in 2.0; the batch wants it per metric family. Strings are
    /// built only the first time a (name, type, help, unit) combination shows up.
    private func appendMetadata(_ md: Io__Prometheus__Write__V2__Metadata, nameRef: UInt32, _ symbols: SymbolTable,
                                to batch: inout WriteBatch) {
        let type = UInt32(truncatingIfNeeded: md.type.rawValue)
        if type == 0 && md.help_ref == 0 && md.unit_ref == 0 { return }  // says nothing
        let refs = MetadataRefs(name: nameRef, type: type, help: md.help_ref, unit: md.unit_ref)
        guard seenMetadata.insert(refs).inserted else { return }
        batch.metadata.append(MetricMetadata(
            kind: MetricMetadata.Kind(rawValue: Int(type)) ?? .unknown,
            family: symbols.string(nameRef),
            help: symbols.string(md.help_ref),
            unit: symbols.string(md.unit_ref)))
    }

    struct MetadataRefs: Hashable {
        var name: UInt32
        var type: UInt32
        var help: UInt32
        var unit: UInt32
    }

    /// The selector text of a refused series (cold path: once per reason and request),
    /// cut to about `WriteRequestDecoder.exampleLimit` characters.
    static func selectorExample(_ ts: Io__Prometheus__Write__V2__TimeSeries, _ symbols: SymbolTable) -> String {
        var pairs: [(name: String, value: String)] = []
        if let refs = ts.labels_refs {
            var i = 0
            while i + 1 < Int(ts.n_labels_refs) {
                pairs.append((symbols.string(refs[i]), symbols.string(refs[i + 1])))
                i += 2
            }
        }
        return WriteRequestDecoder.example(pairs)
    }
}
