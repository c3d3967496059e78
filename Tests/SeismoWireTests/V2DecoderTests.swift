import SeismoModel
import SeismoWire
import Testing

private typealias V2 = WriteRequestV2Encoder

/// Decodes a snappy v2 body into a fresh batch.
private func decodeV2(_ body: [UInt8], _ decoder: WriteRequestV2Decoder = WriteRequestV2Decoder()) throws -> (WriteBatch, V2Counts) {
    var batch = WriteBatch()
    let counts = try body.withUnsafeBytes { try decoder.decode(snappyBody: $0, into: &batch) }
    return (batch, counts)
}

/// The WireError a decode throws (nil if none, or another error).
private func v2Error(_ body: [UInt8], limits: WireLimits = WireLimits(), into batch: inout WriteBatch) -> WireError? {
    let decoder = WriteRequestV2Decoder(limits: limits)
    do {
        try body.withUnsafeBytes { _ = try decoder.decode(snappyBody: $0, into: &batch) }
        return nil
    } catch let e as WireError {
        return e
    } catch {
        return nil
    }
}

private func v2Error(_ body: [UInt8], limits: WireLimits = WireLimits()) -> WireError? {
    var batch = WriteBatch()
    return v2Error(body, limits: limits, into: &batch)
}

@Suite("Remote write 2.0 decoding")
struct V2DecoderTests {
    /// A request in the shape a Prometheus 2.54+ sender builds: shared symbols, float
    /// series with exemplars and metadata, and a native histogram series.
    static func mixedRequest() -> [UInt8] {
        var t = V2.SymbolTable()
        let up = t.refs([("__name__", "up"), ("instance", "a:1"), ("job", "node")])
        let req = t.refs([("__name__", "http_requests_total"), ("code", "200"), ("job", "api")])
        let hist = t.refs([("__name__", "rpc_latency_seconds"), ("job", "api")])
        let trace = t.refs([("trace_id", "abc123")])
        let series: [V2.Series] = [
            V2.Series(labelsRefs: up,
                      samples: [V2.Sample(value: 1, timestampMs: 1000), V2.Sample(value: -0.0, timestampMs: 2000)],
                      metadata: V2.Metadata(kind: .gauge, helpRef: t.ref("Target is up."))),
            V2.Series(labelsRefs: req,
                      samples: [V2.Sample(value: Double(bitPattern: staleMarkerBits), timestampMs: 3000, startTimestampMs: 500)],
                      exemplars: [V2.Exemplar(labelsRefs: trace, value: 0.25, timestampMs: 2999),
                                  V2.Exemplar(labelsRefs: trace, value: 0.5, timestampMs: 3000)],
                      metadata: V2.Metadata(kind: .counter, helpRef: t.ref("Requests."), unitRef: t.ref("requests"))),
            V2.Series(labelsRefs: hist,
                      histograms: [V2.Histogram(count: 7, sum: 1.5, timestampMs: 4000)],
                      exemplars: [V2.Exemplar(labelsRefs: trace, value: 0.1, timestampMs: 4000)],
                      metadata: V2.Metadata(kind: .histogram, helpRef: t.ref("Latency."), unitRef: t.ref("seconds"))),
        ]
        return V2.encode(symbols: t.symbols, series: series)
    }

    @Test("samples, metadata, histograms and exemplars decode into the WriteBatch")
    func mixedRequestDecodes() throws {
        let (batch, counts) = try decodeV2(Self.mixedRequest())

        #expect(counts == V2Counts(samples: 3, histograms: 1, exemplars: 3))
        #expect(batch.series.count == 2)
        #expect(batch.key(batch.series[0]) == LabelKey.encode([("__name__", "up"), ("instance", "a:1"), ("job", "node")]))
        #expect(batch.key(batch.series[1]) == LabelKey.encode([("__name__", "http_requests_total"), ("code", "200"), ("job", "api")]))
        #expect(batch.series.map(\.sampleCount) == [2, 1])
        #expect(batch.timestamps == [1000, 2000, 3000])
        // Bit-exact values: -0.0 and the stale marker survive.
        let one: Double = 1, negativeZero: Double = -0.0
        #expect(batch.valueBits == [one.bitPattern, negativeZero.bitPattern, staleMarkerBits])

        #expect(batch.metadata == [
            MetricMetadata(kind: .gauge, family: "up", help: "Target is up.", unit: ""),
            MetricMetadata(kind: .counter, family: "http_requests_total", help: "Requests.", unit: "requests"),
            MetricMetadata(kind: .histogram, family: "rpc_latency_seconds", help: "Latency.", unit: "seconds"),
        ])

        // The histogram is refused (float samples only), its series not counted as bad.
        #expect(batch.rejections.count(.nativeHistogram) == 1)
        #expect(batch.rejections.total == 1)
        #expect(batch.rejections.series == 0)
        #expect(batch.rejections.examples.compactMap { $0 } == [#"rpc_latency_seconds{job="api"}"#])
        #expect(batch.exemplarsIgnored == 3)
    }

    @Test("every metric type maps to MetricMetadata.Kind; repeated and empty metadata add no entries")
    func metadataMapping() throws {
        let kinds: [MetricMetadata.Kind] = [.unknown, .counter, .gauge, .histogram, .gaugeHistogram, .summary, .info, .stateSet]
        var t = V2.SymbolTable()
        var series: [V2.Series] = []
        for (i, kind) in kinds.enumerated() {
            let refs = t.refs([("__name__", "m\(i)"), ("job", "j")])
            let md = V2.Metadata(kind: kind, helpRef: t.ref("help \(i)"), unitRef: t.ref("unit\(i)"))
            series.append(V2.Series(labelsRefs: refs, samples: [V2.Sample(value: 1, timestampMs: 1)], metadata: md))
            // Another series of the same family with the same metadata: one entry only.
            let other = t.refs([("__name__", "m\(i)"), ("job", "k")])
            series.append(V2.Series(labelsRefs: other, samples: [V2.Sample(value: 2, timestampMs: 1)], metadata: md))
        }
        // Metadata with nothing in it (type unspecified, refs 0) is not an entry.
        series.append(V2.Series(labelsRefs: t.refs([("__name__", "quiet")]), samples: [V2.Sample(value: 1, timestampMs: 1)],
                                metadata: V2.Metadata(kind: .unknown)))
        // Metadata of a series with invalid labels is dropped with the series.
        series.append(V2.Series(labelsRefs: t.refs([("__name__", "bad-name")]), samples: [V2.Sample(value: 1, timestampMs: 1)],
                                metadata: V2.Metadata(kind: .counter, helpRef: t.ref("x"))))

        let decoder = WriteRequestV2Decoder()
        let body = V2.encode(symbols: t.symbols, series: series)
        let expected = kinds.enumerated().map { MetricMetadata(kind: $0.element, family: "m\($0.offset)", help: "help \($0.offset)", unit: "unit\($0.offset)") }
        let (first, _) = try decodeV2(body, decoder)
        #expect(first.metadata == expected)
        #expect(first.series.count == 2 * kinds.count + 1)
        #expect(first.rejections.count(.invalidMetricName) == 1)
        // The decoder forgets what it emitted between requests.
        let (second, _) = try decodeV2(body, decoder)
        #expect(second.metadata == expected)
    }

    @Test("symbols[0] must be the empty string; an empty body or table is malformed")
    func firstSymbolMustBeEmpty() throws {
        let refs: [UInt32] = [0, 1]
        let bad = V2.encode(symbols: ["__name__", "up"], series: [V2.Series(labelsRefs: refs, samples: [V2.Sample(value: 1, timestampMs: 1)])])
        let e = try #require(v2Error(bad))
        #expect(e.kind == .malformed)
        #expect(e.message == "rw2: symbols[0] must be the empty string")

        for body in [V2.encode(symbols: [], series: []), Snappy.compress([]), []] {
            let e = try #require(v2Error(body))
            #expect(e.kind == .malformed)
            #expect(e.message.hasPrefix("rw2: symbols[0]"))
        }
        // The smallest valid request: just the empty symbol.
        let (batch, counts) = try decodeV2(V2.encode(symbols: [""], series: []))
        #expect(batch.series.isEmpty && counts == V2Counts())
    }

    @Test("a reference outside the symbol table is malformed and names the ref and table size")
    func outOfRangeReferences() throws {
        let symbols = ["", "__name__", "up", "job", "x"]
        let good = V2.Series(labelsRefs: [1, 2, 3, 4], samples: [V2.Sample(value: 1, timestampMs: 1)])
        let cases: [(V2.Series, String)] = [
            (V2.Series(labelsRefs: [1, 2, 3, 5], samples: [V2.Sample(value: 1, timestampMs: 1)]), "timeseries[1] label ref 5"),
            (V2.Series(labelsRefs: [1, 2, 4_000_000_000, 4], samples: []), "timeseries[1] label ref 4000000000"),
            (V2.Series(labelsRefs: [1, 2], samples: [V2.Sample(value: 1, timestampMs: 1)],
                       exemplars: [V2.Exemplar(labelsRefs: [3, 9], value: 1, timestampMs: 1)]), "timeseries[1] exemplar label ref 9"),
            (V2.Series(labelsRefs: [1, 2], samples: [V2.Sample(value: 1, timestampMs: 1)],
                       metadata: V2.Metadata(kind: .gauge, helpRef: 5)), "timeseries[1] help ref 5"),
            (V2.Series(labelsRefs: [1, 2], samples: [V2.Sample(value: 1, timestampMs: 1)],
                       metadata: V2.Metadata(kind: .gauge, unitRef: 7)), "timeseries[1] unit ref 7"),
        ]
        for (series, what) in cases {
            // The batch is left as it was: the request is checked before anything is appended.
            var batch = WriteBatch()
            batch.append(labels: [("__name__", "earlier")], samples: [(1, 1)])
            let e = try #require(v2Error(V2.encode(symbols: symbols, series: [good, series]), into: &batch))
            #expect(e.kind == .malformed)
            #expect(e.message == "rw2: \(what) out of range: symbols table has 5 entries")
            #expect(batch.series.count == 1 && batch.sampleCount == 1 && batch.metadata.isEmpty)
        }
    }

    @Test("an odd number of label references is malformed")
    func oddReferences() throws {
        let symbols = ["", "__name__", "up", "job"]
        let e = try #require(v2Error(V2.encode(symbols: symbols, series: [
            V2.Series(labelsRefs: [1, 2, 3], samples: [V2.Sample(value: 1, timestampMs: 1)]),
        ])))
        #expect(e.kind == .malformed)
        #expect(e.message == "rw2: timeseries[0] has an odd number of labels_refs (3)")

        let ex = try #require(v2Error(V2.encode(symbols: symbols, series: [
            V2.Series(labelsRefs: [1, 2], samples: [V2.Sample(value: 1, timestampMs: 1)],
                      exemplars: [V2.Exemplar(labelsRefs: [3], value: 1, timestampMs: 1)]),
        ])))
        #expect(ex.kind == .malformed)
        #expect(ex.message.contains("odd number of labels_refs (1)"))
    }

    @Test("label bytes expanded from symbol references are capped at maxDecodedBytes")
    func expansionIsCapped() throws {
        // One 1000-byte value referenced by 100 series: a ~2 KB request naming 100 KB of labels.
        let symbols = ["", "__name__", "m", "v", String(repeating: "x", count: 1000)]
        let series = (0..<100).map { _ in V2.Series(labelsRefs: [1, 2, 3, 4], samples: [V2.Sample(value: 1, timestampMs: 1)]) }
        let body = V2.encode(symbols: symbols, series: series)
        let pb = V2.encodeProtobuf(symbols: symbols, series: series)
        #expect(pb.count < 4096)

        let limits = WireLimits(maxCompressedBytes: 1 << 20, maxDecodedBytes: 64 << 10)
        let e = try #require(v2Error(body, limits: limits))
        #expect(e.kind == .tooLarge)
        #expect(e.message.hasPrefix("rw2: labels expand to more than 65536 bytes"))

        // Under a limit that fits, the same request decodes.
        let (batch, _) = try decodeV2(body, WriteRequestV2Decoder(limits: WireLimits(maxDecodedBytes: 1 << 20)))
        #expect(batch.series.count == 100)
    }

    @Test("series with invalid labels are refused with their reason; good series are kept")
    func invalidSeriesRejected() throws {
        var t = V2.SymbolTable()
        let cases: [(labels: [(String, String)], samples: Int, reason: RejectionReason)] = [
            ([("__name__", "m"), ("b", "1"), ("a", "2")], 1, .unsortedLabels),
            ([("__name__", "m"), ("a", "1"), ("a", "2")], 2, .duplicateLabelName),
            ([("", "x"), ("__name__", "m")], 3, .emptyLabelName),
            ([("__name__", "m"), ("a", "")], 4, .emptyLabelValue),
            ([("instance", "x"), ("job", "y")], 5, .missingMetricName),
            ([], 1, .missingMetricName),
            ([("__name__", "1abc")], 6, .invalidMetricName),
            ([("__name__", "m"), ("a-b", "1")], 7, .invalidLabelName),
        ]
        var series: [V2.Series] = []
        for (i, c) in cases.enumerated() {
            series.append(V2.Series(labelsRefs: t.refs(c.labels),
                                    samples: (0..<c.samples).map { V2.Sample(value: 2, timestampMs: Int64(2000 + $0)) }))
            series.append(V2.Series(labelsRefs: t.refs([("__name__", "ok_\(i)"), ("job", "j")]),
                                    samples: [V2.Sample(value: 3, timestampMs: 3000)]))
        }
        // A histogram series with bad labels counts under the label reason, not as a histogram.
        series.append(V2.Series(labelsRefs: t.refs([("job", "h")]), histograms: [V2.Histogram(count: 1, sum: 1, timestampMs: 1)]))

        let (batch, counts) = try decodeV2(V2.encode(symbols: t.symbols, series: series))
        #expect(batch.series.count == cases.count)
        #expect(batch.series.allSatisfy { batch.labels($0).first?.value.hasPrefix("ok_") == true })
        #expect(batch.timestamps == Array(repeating: 3000, count: cases.count))
        var expected: [RejectionReason: Int] = [:]
        for c in cases { expected[c.reason, default: 0] += c.samples }
        expected[.missingMetricName, default: 0] += 1  // the histogram series
        for reason in RejectionReason.allCases {
            #expect(batch.rejections.count(reason) == expected[reason, default: 0], "\(reason)")
        }
        #expect(batch.rejections.series == cases.count + 1)
        #expect(batch.rejections.count(.nativeHistogram) == 0)
        #expect(counts.samples == cases.map(\.samples).reduce(0, +) + cases.count)
        #expect(counts.histograms == 1)
        // The example is the refused series' selector, from its symbols.
        #expect(batch.rejections.examples[RejectionReason.allCases.firstIndex(of: .unsortedLabels)!] == #"m{b="1",a="2"}"#)
    }

    @Test("invalid UTF-8 in a symbol is refused like in 1.0")
    func invalidUTF8() throws {
        // The encoder takes Swift strings; splice raw bytes into the protobuf instead.
        let symbols = ["", "__name__", "m", "a", "VALUE"]
        var pb = V2.encodeProtobuf(symbols: symbols, series: [
            V2.Series(labelsRefs: [1, 2, 3, 4], samples: [V2.Sample(value: 1, timestampMs: 1)]),
            V2.Series(labelsRefs: [1, 2], samples: [V2.Sample(value: 1, timestampMs: 2)]),
        ])
        let at = try #require(pb.firstRange(of: Array("VALUE".utf8)))
        pb.replaceSubrange(at, with: [0x66, 0xFF, 0xFE, 0xC0, 0xAF])
        var batch = WriteBatch()
        try pb.withUnsafeBytes { _ = try WriteRequestV2Decoder().decode(protobuf: $0, into: &batch) }
        #expect(batch.rejections.count(.invalidUTF8) == 1)
        #expect(batch.series.count == 1)
        #expect(batch.timestamps == [2])
    }

    @Test("dispatch must be by Content-Type: a v2 body read as v1 is empty, a v1 body read as v2 is malformed")
    func crossVersionBodies() throws {
        // v2 reserves v1's fields 1-3, so the v1 decoder sees only unknown fields.
        var v1Batch = WriteBatch()
        let v2Body = Self.mixedRequest()
        try v2Body.withUnsafeBytes { try WriteRequestDecoder().decode(snappyBody: $0, into: &v1Batch) }
        #expect(v1Batch.series.isEmpty && v1Batch.sampleCount == 0 && v1Batch.metadata.isEmpty)
        #expect(v1Batch.rejections.isEmpty && v1Batch.exemplarsIgnored == 0)

        // The other way round the missing symbol table gives it away.
        let v1Body = WriteRequestEncoder.encode(series: [(labels: [("__name__", "up")], samples: [(1, 1)])],
                                                metadata: [MetricMetadata(kind: .gauge, family: "up", help: "h", unit: "")])
        let e = try #require(v2Error(v1Body))
        #expect(e.kind == .malformed)
        #expect(e.message == "rw2: symbols[0] must be the empty string")
    }

    @Test("the convenience encoder round-trips like the v1 encoder, and the decoder reuses its arena")
    func convenienceRoundTrip() throws {
        typealias Series = (labels: [(name: String, value: String)], samples: [(timestampMs: Int64, value: Double)])
        var series: [Series] = []
        for i in 0..<200 {
            let labels: [(name: String, value: String)] = [("__name__", "m\(i % 7)"), ("instance", "host-\(i)"), ("job", "node")]
            let samples: [(timestampMs: Int64, value: Double)] = [(Int64(1000 + i), Double(i)), (Int64(2000 + i), Double(i) / 2)]
            series.append((labels: labels, samples: samples))
        }
        let metadata = [MetricMetadata(kind: .counter, family: "m3", help: "Three.", unit: "bytes")]
        let body = V2.encode(series: series, metadata: metadata)
        let decoder = WriteRequestV2Decoder()
        let (batch, counts) = try decodeV2(body, decoder)
        let v1 = try decodeProtobufV1(WriteRequestEncoder.encodeProtobuf(series: series))
        #expect(batch.flatSamples == v1.flatSamples)
        #expect(batch.metadata == metadata)
        #expect(counts == V2Counts(samples: 400, histograms: 0, exemplars: 0))

        let capacity = decoder.arenaCapacity
        var again = WriteBatch()
        for _ in 0..<5 {
            again.removeAll()
            try body.withUnsafeBytes { _ = try decoder.decode(snappyBody: $0, into: &again) }
        }
        #expect(decoder.arenaCapacity == capacity)
        #expect(decoder.lastArenaBytes > 0)
        #expect(again.flatSamples == batch.flatSamples)
    }
}

private func decodeProtobufV1(_ pb: [UInt8]) throws -> WriteBatch {
    var batch = WriteBatch()
    try pb.withUnsafeBytes { try WriteRequestDecoder().decode(protobuf: $0, into: &batch) }
    return batch
}
