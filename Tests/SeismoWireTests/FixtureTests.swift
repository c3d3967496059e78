import SeismoModel
import SeismoWire
import Testing

@Suite("Prometheus 2.42 fixtures")
struct FixtureTests {
    @Test("default-queue writes: 500 series × 1 sample, 500 distinct keys", arguments: Fixtures.writes)
    func defaultQueueWrite(_ name: String) throws {
        let batch = try decodeBody(Fixtures.load(name))
        #expect(batch.series.count == 500)
        #expect(batch.sampleCount == 500)
        #expect(batch.valueBits.count == 500)
        #expect(Set(batch.series.map { batch.key($0) }).count == 500)
        #expect(batch.rejections.isEmpty)
        #expect(batch.metadata.isEmpty)
        #expect(batch.exemplarsIgnored == 0)
        // Capture ran 2026-11-30 ~17:01–17:06 UTC.
        #expect(batch.timestamps.allSatisfy { (1_796_000_000_000...1_797_000_000_000).contains($0) })
        for s in batch.series {
            let labels = batch.labels(s)
            #expect((3...9).contains(labels.count))
            #expect(labels.contains { $0.name == "__name__" })
        }
    }

    @Test("max_samples_per_send 2000: 2000 entries, 975 distinct keys, kept in request order", arguments: Fixtures.batches)
    func batch2000(_ name: String) throws {
        let batch = try decodeBody(Fixtures.load(name))
        #expect(batch.series.count == 2000)
        #expect(batch.sampleCount == 2000)
        #expect(Set(batch.series.map { batch.key($0) }).count == 975)
        #expect(batch.rejections.isEmpty)
        // Entries are laid out back to back in request order.
        var keyEnd: Int32 = 0
        for (i, s) in batch.series.enumerated() {
            #expect(s.keyOffset == keyEnd)
            #expect(s.sampleOffset == Int32(i) && s.sampleCount == 1)
            keyEnd = s.keyOffset + s.keyLength
        }
        #expect(Int(keyEnd) == batch.labelBytes.count)
    }

    @Test("metadata-only request: 0 series, 452 entries with the captured type counts")
    func metadataOnly() throws {
        let batch = try decodeBody(Fixtures.load(Fixtures.metadata))
        #expect(batch.series.isEmpty)
        #expect(batch.sampleCount == 0)
        #expect(batch.metadata.count == 452)
        var counts: [MetricMetadata.Kind: Int] = [:]
        for m in batch.metadata { counts[m.kind, default: 0] += 1 }
        #expect(counts == [.gauge: 228, .counter: 158, .unknown: 47, .summary: 10, .histogram: 9])
        #expect(batch.metadata.allSatisfy { $0.unit.isEmpty && !$0.family.isEmpty })
        #expect(batch.metadata.contains { !$0.help.isEmpty })
        #expect(batch.rejections.isEmpty)
    }

    @Test("every sample matches an independent protobuf walk (labels, timestamp, value bits)",
          arguments: Fixtures.writes + Fixtures.batches + [Fixtures.metadata])
    func crossCheckWithWalker(_ name: String) throws {
        let body = try Fixtures.load(name)
        var pb: [UInt8] = []
        try body.withUnsafeBytes { try Snappy.decompress($0, maxDecodedBytes: 64 << 20, into: &pb) }
        let walked = Walker.writeRequest(pb)
        let batch = try decodeBody(body)

        #expect(batch.series.count == walked.series.count)
        let expected = Walker.flatSamples(walked)
        let actual = batch.flatSamples
        #expect(actual.count == expected.count)
        let mismatches = zip(actual, expected).filter { $0 != $1 }.count
        #expect(mismatches == 0)
        #expect(batch.metadata.map { UInt64($0.kind.rawValue) } == walked.metadataTypes)
        // The protobuf path gives the same batch as the snappy path.
        let direct = try decodeProtobuf(pb)
        #expect(direct.flatSamples == actual)
    }

    @Test("fixture bodies round-trip through Seismo's snappy",
          arguments: Fixtures.writes + Fixtures.batches + [Fixtures.metadata])
    func snappyRoundTrip(_ name: String) throws {
        let body = try Fixtures.load(name)
        var pb: [UInt8] = []
        try body.withUnsafeBytes { try Snappy.decompress($0, maxDecodedBytes: 64 << 20, into: &pb) }
        var again: [UInt8] = []
        try Snappy.compress(pb).withUnsafeBytes { try Snappy.decompress($0, maxDecodedBytes: 64 << 20, into: &again) }
        #expect(again == pb)
    }

    @Test("a decoder reused across all fixtures gives the same results as fresh ones")
    func decoderReuse() throws {
        let decoder = WriteRequestDecoder()
        for name in Fixtures.writes + Fixtures.batches + [Fixtures.metadata] + Fixtures.writes.reversed() {
            let body = try Fixtures.load(name)
            let reused = try decodeBody(body, decoder: decoder)
            let fresh = try decodeBody(body)
            #expect(reused.flatSamples == fresh.flatSamples)
            #expect(reused.metadata == fresh.metadata)
        }
    }

    @Test("decoding appends to a batch the caller has not cleared")
    func appendsToBatch() throws {
        let decoder = WriteRequestDecoder()
        var batch = WriteBatch()
        for name in Fixtures.writes.prefix(2) {
            try Fixtures.load(name).withUnsafeBytes { try decoder.decode(snappyBody: $0, into: &batch) }
        }
        #expect(batch.series.count == 1000)
        #expect(batch.series[500].sampleOffset == 500)
        #expect(Int(batch.series[999].keyOffset + batch.series[999].keyLength) == batch.labelBytes.count)
    }
}
