import SeismoModel
import SeismoWire
import Testing

@Suite("Bodies that must be refused whole")
struct BadInputTests {
    func expectError(_ kind: WireError.Kind, prefix: String, limits: WireLimits = WireLimits(),
                     _ body: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        let decoder = WriteRequestDecoder(limits: limits)
        var batch = WriteBatch()
        do {
            try body.withUnsafeBytes { try decoder.decode(snappyBody: $0, into: &batch) }
            Issue.record("expected \(kind) error", sourceLocation: sourceLocation)
        } catch let error as WireError {
            #expect(error.kind == kind, sourceLocation: sourceLocation)
            #expect(error.message.hasPrefix(prefix), "\(error.message)", sourceLocation: sourceLocation)
            #expect(error.description == error.message, sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
        #expect(batch.series.isEmpty && batch.labelBytes.isEmpty && batch.metadata.isEmpty, sourceLocation: sourceLocation)
    }

    @Test func corruptSnappy() {
        // Length header 10, then a copy from 5 bytes back before anything was written.
        expectError(.malformed, prefix: "snappy: corrupt input", [0x0A, 0x01, 0x05])
        // A length varint that never ends.
        expectError(.malformed, prefix: "snappy: corrupt input", [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        // Plain protobuf sent without compression.
        let pb = WriteRequestEncoder.encodeProtobuf(series: [([("__name__", "up")], [(1, 1)])])
        expectError(.malformed, prefix: "snappy: corrupt input", pb)
    }

    @Test func truncatedSnappy() throws {
        let body = try Fixtures.load("prom242_write_01.bin")
        expectError(.malformed, prefix: "snappy: corrupt input", Array(body.prefix(body.count / 2)))
        expectError(.malformed, prefix: "snappy: corrupt input", Array(body.dropLast()))
    }

    @Test("a header declaring 2 GiB is refused before any allocation")
    func lengthBomb() throws {
        // uvarint(0x8000_0000) = 80 80 80 80 08, then one literal byte.
        let bomb: [UInt8] = [0x80, 0x80, 0x80, 0x80, 0x08, 0x00, 0x41]
        expectError(.tooLarge, prefix: "snappy: decoded length 2147483648 exceeds limit 67108864", bomb)

        var output: [UInt8] = []
        #expect(throws: WireError.self) {
            try bomb.withUnsafeBytes { try Snappy.decompress($0, maxDecodedBytes: 64 << 20, into: &output) }
        }
        #expect(output.capacity == 0)  // nothing was allocated
    }

    @Test func decodedLengthOverLimit() throws {
        let body = try Fixtures.load("prom242_write_01.bin")
        expectError(.tooLarge, prefix: "snappy: decoded length ",
                    limits: WireLimits(maxDecodedBytes: 1000), body)
    }

    @Test func compressedBodyOverLimit() throws {
        let body = try Fixtures.load("prom242_write_01.bin")
        expectError(.tooLarge, prefix: "snappy: body of 10138 bytes exceeds limit 1000",
                    limits: WireLimits(maxCompressedBytes: 1000), body)
    }

    @Test func protobufOverLimit() {
        let decoder = WriteRequestDecoder(limits: WireLimits(maxDecodedBytes: 4))
        var batch = WriteBatch()
        let pb = WriteRequestEncoder.encodeProtobuf(series: [([("__name__", "up")], [(1, 1)])])
        #expect(throws: WireError.self) { try pb.withUnsafeBytes { try decoder.decode(protobuf: $0, into: &batch) } }
    }

    @Test("valid snappy around garbage protobuf")
    func garbageProtobuf() {
        // Field 1, length 255, but only two bytes follow.
        expectError(.malformed, prefix: "protobuf: cannot decode WriteRequest (4 bytes)",
                    Snappy.compress([0x0A, 0xFF, 0x01, 0x00]))
        // Wire type 7 does not exist.
        expectError(.malformed, prefix: "protobuf: cannot decode WriteRequest", Snappy.compress([0x0F, 0x00]))
        // A TimeSeries whose Sample is truncated inside.
        expectError(.malformed, prefix: "protobuf: cannot decode WriteRequest",
                    Snappy.compress([0x0A, 0x04, 0x12, 0x02, 0x09, 0x00]))
    }

    @Test("a decoder keeps working after refusing a body")
    func recoversAfterErrors() throws {
        let decoder = WriteRequestDecoder()
        var batch = WriteBatch()
        for body in [[0x0A, 0x01, 0x05], Snappy.compress([0x0A, 0xFF, 0x01, 0x00])] as [[UInt8]] {
            #expect(throws: WireError.self) { try body.withUnsafeBytes { try decoder.decode(snappyBody: $0, into: &batch) } }
        }
        let good = try decodeBody(Fixtures.load("prom242_write_02.bin"), decoder: decoder)
        #expect(good.series.count == 500)
    }

    @Test("empty bodies are valid empty requests")
    func emptyBodies() throws {
        for body in [[], Snappy.compress([])] as [[UInt8]] {
            let batch = try decodeBody(body)
            #expect(batch.series.isEmpty && batch.metadata.isEmpty && batch.rejections.isEmpty)
        }
        let batch = try decodeProtobuf([])
        #expect(batch.series.isEmpty)
        // A zero-length block followed by junk is not.
        expectError(.malformed, prefix: "snappy: corrupt input", [0x00, 0x41])
    }
}
