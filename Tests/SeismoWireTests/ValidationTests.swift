import SeismoModel
import SeismoWire
import Testing

@Suite("Series validation and sample values")
struct ValidationTests {
    static let good: [(String, String)] = [("__name__", "up"), ("instance", "a:1"), ("job", "node")]

    @Test("each invalid series is refused with its reason; good series in the same request are kept")
    func invalidSeriesRejected() throws {
        typealias Case = (labels: [([UInt8], [UInt8])], samples: Int, reason: RejectionReason)
        func s(_ pairs: [(String, String)]) -> [([UInt8], [UInt8])] { pairs.map { (Array($0.0.utf8), Array($0.1.utf8)) } }
        let cases: [Case] = [
            (s([("__name__", "m"), ("b", "1"), ("a", "2")]), 1, .unsortedLabels),
            (s([("__name__", "m"), ("a", "1"), ("a", "2")]), 2, .duplicateLabelName),
            (s([("", "x"), ("__name__", "m")]), 3, .emptyLabelName),
            (s([("__name__", "m"), ("a", "")]), 4, .emptyLabelValue),
            (s([("instance", "x"), ("job", "y")]), 5, .missingMetricName),
            (s([("__name__", "1abc")]), 6, .invalidMetricName),
            (s([("__name__", "a-b"), ("job", "x")]), 1, .invalidMetricName),
            (s([("__name__", "m"), ("a-b", "1")]), 7, .invalidLabelName),
            (s([("__name__", "m"), ("a", "1"), ("é", "1")]), 1, .invalidLabelName),
            ([(Array("__name__".utf8), Array("m".utf8)), (Array("a".utf8), [0x66, 0xFF, 0xFE])], 8, .invalidUTF8),
            // Overlong "/" and a UTF-16 surrogate are not UTF-8 either.
            ([(Array("__name__".utf8), Array("m".utf8)), (Array("a".utf8), [0xC0, 0xAF])], 1, .invalidUTF8),
            ([(Array("__name__".utf8), Array("m".utf8)), (Array("a".utf8), [0xED, 0xA0, 0x80])], 1, .invalidUTF8),
            ([(Array("__name__".utf8), Array("m".utf8)), ([0x62, 0xFF], Array("v".utf8))], 1, .invalidUTF8),
        ]
        var series: [[UInt8]] = []
        series.append(PB.series(Self.good, samples: [(1000, 1.0.bitPattern)]))
        for c in cases {
            series.append(PB.series(c.labels, samples: (0..<c.samples).map { (Int64(2000 + $0), 2.0.bitPattern) }))
            series.append(PB.series([("__name__", "ok_\(series.count)"), ("job", "j")], samples: [(3000, 3.0.bitPattern)]))
        }
        let batch = try decodeProtobuf(PB.writeRequest(series))

        #expect(batch.series.count == 1 + cases.count)
        #expect(batch.sampleCount == 1 + cases.count)
        #expect(batch.labels(batch.series[0]).map { "\($0.name)=\($0.value)" } == ["__name__=up", "instance=a:1", "job=node"])
        #expect(batch.series.dropFirst().allSatisfy { batch.labels($0).first?.value.hasPrefix("ok_") == true })
        #expect(batch.rejections.series == cases.count)
        for reason in Set(cases.map(\.reason)) {
            let expected = cases.filter { $0.reason == reason }.map(\.samples).reduce(0, +)
            #expect(batch.rejections.count(reason) == expected, "\(reason)")
        }
        #expect(batch.rejections.total == cases.map(\.samples).reduce(0, +))
        // Examples name the series (the first of each reason).
        #expect(batch.rejections.examples[6] == #"m{b="1",a="2"}"#)  // unsorted_labels
        #expect(batch.rejections.examples[0] == #"{instance="x",job="y"}"#)  // missing_metric_name
        #expect(batch.rejections.describe(stored: batch.sampleCount).hasPrefix("rejected "))
    }

    @Test("labels sorting before __name__ (uppercase) are fine; colons are fine in metric names")
    func validEdgeCases() throws {
        let pb = PB.writeRequest([
            PB.series([("Zone", "eu"), ("__name__", "job:rate5m:sum"), ("_x", "1"), ("a9", "ü ✓ \"q\"")], samples: [(1, 1.0.bitPattern)]),
            PB.series([("__name__", ":m")], samples: [(1, 1.0.bitPattern)]),
            PB.series([("__name__", "_")], samples: [(1, 1.0.bitPattern)]),
        ])
        let batch = try decodeProtobuf(pb)
        #expect(batch.rejections.isEmpty)
        #expect(batch.series.count == 3)
        #expect(batch.labels(batch.series[0]).last?.value == "ü ✓ \"q\"")
    }

    @Test("the example is cut to about 200 characters")
    func longExampleTruncated() throws {
        let long = String(repeating: "v", count: 1000)
        let pb = PB.writeRequest([PB.series([("__name__", "m"), ("b", long), ("a", "x")], samples: [(1, 0)])])
        let batch = try decodeProtobuf(pb)
        let example = try #require(batch.rejections.examples[6])
        #expect(example.count <= 201)
        #expect(example.hasPrefix("m{b=\"vvv"))
    }

    @Test("NaN payloads, ±Inf, -0 and the stale marker are kept bit-exact")
    func specialValues() throws {
        let bits: [UInt64] = [
            staleMarkerBits, Double.nan.bitPattern, 0x7FF8_0000_0000_0ABC, 0xFFF8_0000_0000_0001,
            Double.infinity.bitPattern, (-Double.infinity).bitPattern, (-0.0).bitPattern, 0,
            Double.leastNonzeroMagnitude.bitPattern, Double.greatestFiniteMagnitude.bitPattern,
        ]
        let samples = bits.enumerated().map { (Int64($0.offset), $0.element) }
        // Hand-made protobuf (raw fixed64) …
        let viaPB = try decodeProtobuf(PB.writeRequest([PB.series(Self.good, samples: samples)]))
        #expect(viaPB.valueBits == bits)
        #expect(viaPB.timestamps == Array(0..<Int64(bits.count)))
        // … and through the encoder (Swift Double → protobuf-c → snappy → decoder).
        // protobuf-c's packer treats -0.0 as the proto3 default and leaves it out, so it
        // comes back as +0.0; Go's packer (Prometheus) compares bits and keeps it.
        let encodable = bits.filter { $0 != (-0.0).bitPattern }
        let body = WriteRequestEncoder.encode(series: [(
            Self.good.map { (name: $0.0, value: $0.1) },
            encodable.enumerated().map { (timestampMs: Int64($0.offset), value: Double(bitPattern: $0.element)) }
        )])
        let viaEncoder = try decodeBody(body)
        #expect(viaEncoder.valueBits == encodable)
        #expect(viaEncoder.valueBits[0] == 0x7FF0_0000_0000_0002)
    }

    @Test("negative and extreme timestamps survive")
    func timestamps() throws {
        let ts: [Int64] = [Int64.min, -1, 0, 1, Int64.max]
        let batch = try decodeProtobuf(PB.writeRequest([PB.series(Self.good, samples: ts.map { ($0, 0) })]))
        #expect(batch.timestamps == ts)
    }

    @Test("native histograms are counted as rejected; the series' float samples are kept")
    func nativeHistograms() throws {
        let pb = PB.writeRequest([
            PB.series(Self.good, samples: [(1, 1.0.bitPattern)], histograms: 2),
            PB.series([("__name__", "h_only")], samples: [], histograms: 3),
            PB.series([("__name__", "bad"), ("a", "")], samples: [(1, 0)], histograms: 4),
        ])
        let batch = try decodeProtobuf(pb)
        #expect(batch.series.count == 1)
        #expect(batch.sampleCount == 1)
        #expect(batch.rejections.count(.nativeHistogram) == 5)
        #expect(batch.rejections.count(.emptyLabelValue) == 5)  // 1 sample + 4 histograms
        #expect(batch.rejections.series == 1)
        #expect(batch.rejections.examples[8] == #"up{instance="a:1",job="node"}"#)
    }

    @Test("exemplars are counted as ignored")
    func exemplars() throws {
        let pb = PB.writeRequest([
            PB.series(Self.good, samples: [(1, 1.0.bitPattern)], exemplars: 2),
            PB.series([("__name__", "x")], samples: [(1, 1.0.bitPattern)], exemplars: 1),
        ])
        let batch = try decodeProtobuf(pb)
        #expect(batch.exemplarsIgnored == 3)
        #expect(batch.sampleCount == 2)
        #expect(batch.rejections.isEmpty)
    }

    @Test("series without samples or histograms are skipped silently, whatever their labels")
    func emptySeries() throws {
        let pb = PB.writeRequest([
            PB.series(Self.good, samples: []),
            PB.series([("b", "1"), ("a", "1")], samples: []),
            PB.series([("__name__", "x")], samples: [(5, 0)]),
        ])
        let batch = try decodeProtobuf(pb)
        #expect(batch.series.count == 1)
        #expect(batch.rejections.isEmpty)
        #expect(batch.labels(batch.series[0]).first?.value == "x")
        #expect(batch.series[0].keyOffset == 0)
    }

    @Test("repeated label sets stay separate entries in request order")
    func repeatedSeriesNotMerged() throws {
        let pb = PB.writeRequest([
            PB.series(Self.good, samples: [(1, 1.0.bitPattern)]),
            PB.series([("__name__", "other")], samples: [(1, 9.0.bitPattern)]),
            PB.series(Self.good, samples: [(2, 2.0.bitPattern), (3, 3.0.bitPattern)]),
        ])
        let batch = try decodeProtobuf(pb)
        #expect(batch.series.count == 3)
        #expect(batch.key(batch.series[0]) == batch.key(batch.series[2]))
        #expect(batch.series[2] == BatchSeries(keyOffset: batch.series[2].keyOffset, keyLength: batch.series[0].keyLength,
                                               sampleOffset: 2, sampleCount: 2))
        #expect(batch.timestamps == [1, 1, 2, 3])
    }

    @Test("keys are the canonical LabelKey encoding")
    func canonicalKeys() throws {
        let labels = [(name: "__name__", value: "node_cpu_seconds_total"), (name: "cpu", value: "0"), (name: "mode", value: "idle")]
        let batch = try decodeBody(WriteRequestEncoder.encode(series: [(labels, [(timestampMs: 7, value: 0.5)])]))
        #expect(batch.key(batch.series[0]) == LabelKey.encode(labels))
    }

    @Test("WriteRequestEncoder round trip: series, samples and metadata")
    func encoderRoundTrip() throws {
        var reference = WriteBatch()
        var input: [(labels: [(name: String, value: String)], samples: [(timestampMs: Int64, value: Double)])] = []
        for i in 0..<50 {
            let labels = [(name: "__name__", value: "metric_\(i % 7)"), (name: "instance", value: "host-\(i)"), (name: "job", value: "j")]
            let samples = (0..<(i % 4 + 1)).map { (timestampMs: Int64(1_796_000_000_000 + $0 * 1000), value: Double(i) * 0.25 + Double($0)) }
            input.append((labels, samples))
            reference.append(labels: labels, samples: samples)
        }
        let metadata = [
            MetricMetadata(kind: .counter, family: "metric_0", help: "Help with \"quotes\" and ünïcode.", unit: "seconds"),
            MetricMetadata(kind: .stateSet, family: "s", help: "", unit: ""),
            MetricMetadata(kind: .gaugeHistogram, family: "g", help: "x", unit: "bytes"),
        ]
        let body = WriteRequestEncoder.encode(series: input, metadata: metadata)
        let batch = try decodeBody(body)
        #expect(batch.series == reference.series)
        #expect(batch.labelBytes == reference.labelBytes)
        #expect(batch.timestamps == reference.timestamps)
        #expect(batch.valueBits == reference.valueBits)
        #expect(batch.metadata == metadata)

        var pb: [UInt8] = []
        try body.withUnsafeBytes { try Snappy.decompress($0, maxDecodedBytes: 1 << 20, into: &pb) }
        #expect(pb == WriteRequestEncoder.encodeProtobuf(series: input, metadata: metadata))
        #expect(Walker.flatSamples(Walker.writeRequest(pb)) == batch.flatSamples)
    }

    @Test("metadata with an unknown type number maps to .unknown")
    func unknownMetadataType() throws {
        var md = PB()
        md.varintField(1, 42)
        md.bytesField(2, Array("fam".utf8))
        md.bytesField(4, Array("help".utf8))
        let batch = try decodeProtobuf(PB.writeRequest([], metadata: [md.bytes]))
        #expect(batch.metadata == [MetricMetadata(kind: .unknown, family: "fam", help: "help", unit: "")])
    }
}

@Suite("Name character classes, every byte")
struct CharacterClassTests {
    static func isLetterOrUnderscore(_ b: UInt8) -> Bool {
        (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95
    }
    static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

    /// One series per byte value (NUL excluded: protobuf-c strings end at it), each valid
    /// only if the byte belongs to the class; returns which bytes were accepted.
    func accepted(_ labelsFor: (UInt8) -> [([UInt8], [UInt8])]) throws -> Set<UInt8> {
        let bytes = (UInt8(1)...UInt8(255))
        let pb = PB.writeRequest(bytes.map { PB.series(labelsFor($0), samples: [(Int64($0), 0)]) })
        let batch = try decodeProtobuf(pb)
        return Set(batch.timestamps.map { UInt8($0) })
    }

    static func sorted(_ labels: [([UInt8], [UInt8])]) -> [([UInt8], [UInt8])] {
        labels.sorted { $0.0.lexicographicallyPrecedes($1.0) }
    }

    @Test func labelNameChars() throws {
        let first = try accepted { Self.sorted([(Array("__name__".utf8), [0x6D]), ([$0], [0x76])]) }
        #expect(first == Set((1...255).filter { Self.isLetterOrUnderscore(UInt8($0)) }.map { UInt8($0) }))
        let rest = try accepted { [(Array("__name__".utf8), [0x6D]), ([0x61, $0], [0x76])] }
        #expect(rest == Set((1...255).map { UInt8($0) }.filter { Self.isLetterOrUnderscore($0) || Self.isDigit($0) }))
    }

    @Test func metricNameChars() throws {
        let first = try accepted { [(Array("__name__".utf8), [$0])] }
        #expect(first == Set((1...255).map { UInt8($0) }.filter { Self.isLetterOrUnderscore($0) || $0 == 58 }))
        let rest = try accepted { [(Array("__name__".utf8), [0x6D, $0])] }
        #expect(rest == Set((1...255).map { UInt8($0) }.filter { Self.isLetterOrUnderscore($0) || Self.isDigit($0) || $0 == 58 }))
    }
}
