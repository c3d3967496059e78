import SeismoModel
import SeismoRemoteRead
import Testing

/// A minimal protobuf reader, enough to take a ChunkedReadResponse apart in tests.
struct ProtoFields {
    enum Value: Equatable { case varint(UInt64), bytes([UInt8]) }
    static func parse(_ b: [UInt8]) -> [(field: Int, value: Value)]? {
        var out: [(field: Int, value: Value)] = []
        var i = 0
        while i < b.count {
            guard let (key, n) = readUVarint(b, at: i) else { return nil }
            i += n
            switch key & 7 {
            case 0:
                guard let (v, m) = readUVarint(b, at: i) else { return nil }
                i += m
                out.append((Int(key >> 3), .varint(v)))
            case 2:
                guard let (len, m) = readUVarint(b, at: i), i + m + Int(len) <= b.count else { return nil }
                i += m
                out.append((Int(key >> 3), .bytes(Array(b[i..<(i + Int(len))]))))
                i += Int(len)
            default:
                return nil
            }
        }
        return out
    }
}

struct DecodedSeries: Equatable {
    var labels: [String] = []  // "name=value"
    var chunks: [[Int64]] = []  // [min, max, type, data.count]
    var data: [[UInt8]] = []
}

func decodeResponse(_ msg: [UInt8]) -> (series: [DecodedSeries], queryIndex: Int64)? {
    guard let top = ProtoFields.parse(msg) else { return nil }
    var series: [DecodedSeries] = []
    var qi: Int64 = 0
    for (f, v) in top {
        switch (f, v) {
        case (1, .bytes(let sb)):
            guard let sf = ProtoFields.parse(sb) else { return nil }
            var s = DecodedSeries()
            for (g, w) in sf {
                guard case .bytes(let inner) = w, let fields = ProtoFields.parse(inner) else { return nil }
                if g == 1 {
                    var name = "", value = ""
                    for (h, x) in fields {
                        guard case .bytes(let str) = x else { return nil }
                        if h == 1 { name = String(decoding: str, as: UTF8.self) } else { value = String(decoding: str, as: UTF8.self) }
                    }
                    s.labels.append("\(name)=\(value)")
                } else {
                    var c: [Int64] = [0, 0, 0, 0]
                    var data: [UInt8] = []
                    for (h, x) in fields {
                        switch (h, x) {
                        case (1, .varint(let u)): c[0] = Int64(bitPattern: u)
                        case (2, .varint(let u)): c[1] = Int64(bitPattern: u)
                        case (3, .varint(let u)): c[2] = Int64(bitPattern: u)
                        case (4, .bytes(let d)): data = d; c[3] = Int64(d.count)
                        default: return nil
                        }
                    }
                    s.chunks.append(c)
                    s.data.append(data)
                }
            }
            series.append(s)
        case (2, .varint(let u)):
            qi = Int64(bitPattern: u)
        default:
            return nil
        }
    }
    return (series, qi)
}

@Suite("Chunked remote-read response: protobuf and framing")
struct ChunkedReadTests {
    /// ChunkedReadResponse { chunked_series: [{ labels: [__name__="up"],
    ///   chunks: [{ min 1000, max 2000, type XOR, data AA }] }], query_index: 0 or 3 }
    ///
    ///     Label  0A 08 "__name__" 12 02 "up"                     = 14 bytes
    ///     Chunk  08 E8 07 | 10 D0 0F | 18 01 | 22 01 AA          = 11 bytes
    ///     Series 0A 0E <label> 12 0B <chunk>                     = 29 bytes
    ///     Resp   0A 1D <series> [10 03]
    @Test("golden message; zero query_index is omitted")
    func goldenMessage() {
        let label: [UInt8] = [0x0A, 0x08] + Array("__name__".utf8) + [0x12, 0x02] + Array("up".utf8)
        let chunk: [UInt8] = [0x08, 0xE8, 0x07, 0x10, 0xD0, 0x0F, 0x18, 0x01, 0x22, 0x01, 0xAA]
        let series: [UInt8] = [0x0A, 0x0E] + label + [0x12, 0x0B] + chunk
        let s = [(labels: [(name: "__name__", value: "up")], chunks: [(minTimeMs: Int64(1000), maxTimeMs: Int64(2000), data: [UInt8(0xAA)])])]
        #expect(ChunkedReadEncoder.message(querySeries: s, queryIndex: 0) == [0x0A, 0x1D] + series)
        #expect(ChunkedReadEncoder.message(querySeries: s, queryIndex: 3) == [0x0A, 0x1D] + series + [0x10, 0x03])
    }

    @Test("zero scalars are omitted; negative int64 is a 10-byte varint; empty messages still appear")
    func zeroAndNegative() {
        // Chunk { min 0 (omitted), max -1, type 1, data empty (omitted) }
        let s = [(labels: [(name: "", value: "")], chunks: [(minTimeMs: Int64(0), maxTimeMs: Int64(-1), data: [UInt8]())])]
        let chunk: [UInt8] = [0x10] + [UInt8](repeating: 0xFF, count: 9) + [0x01, 0x18, 0x01]  // 13 bytes
        let series: [UInt8] = [0x0A, 0x00, 0x12, 0x0D] + chunk
        #expect(ChunkedReadEncoder.message(querySeries: s, queryIndex: -2)
            == [0x0A, UInt8(series.count)] + series + [0x10] + [0xFE] + [UInt8](repeating: 0xFF, count: 8) + [0x01])
        #expect(ChunkedReadEncoder.message(querySeries: [], queryIndex: 0) == [])
        let noChunks = [(labels: [(name: "a", value: "b")], chunks: [(minTimeMs: Int64, maxTimeMs: Int64, data: [UInt8])]())]
        #expect(ChunkedReadEncoder.message(querySeries: noChunks, queryIndex: 0) == [0x0A, 0x08, 0x0A, 0x06, 0x0A, 0x01, 0x61, 0x12, 0x01, 0x62])
    }

    @Test("message decodes back with a generic protobuf reader (long data, many labels)")
    func messageStructure() throws {
        let ts = (0..<300).map { Int64($0) * 1000 + 1_700_000_000_000 }
        let vs = (0..<300).map { Double($0).bitPattern }
        let chunks = XORChunkEncoder.encodeChunks(timestampsMs: ts, valueBits: vs)
        let labels = [(name: "__name__", value: "node_cpu_seconds_total"), (name: "cpu", value: "0"),
                      (name: "instance", value: String(repeating: "x", count: 200)), (name: "mode", value: "idle")]
        let msg = ChunkedReadEncoder.message(querySeries: [(labels: labels, chunks: chunks), (labels: [labels[0]], chunks: [chunks[2]])], queryIndex: 7)
        let decoded = try #require(decodeResponse(msg))
        #expect(decoded.queryIndex == 7)
        #expect(decoded.series.count == 2)
        #expect(decoded.series[0].labels == labels.map { "\($0.name)=\($0.value)" })
        #expect(decoded.series[0].chunks.map { $0[0] } == chunks.map(\.minTimeMs))
        #expect(decoded.series[0].chunks.map { $0[1] } == chunks.map(\.maxTimeMs))
        #expect(decoded.series[0].chunks.allSatisfy { $0[2] == 1 })
        #expect(decoded.series[0].data == chunks.map(\.data))
        #expect(decoded.series[1].data == [chunks[2].data])
    }

    @Test("frame golden: CRC-32C(\"123456789\") = E3069283, big-endian after the uvarint length")
    func goldenFrame() throws {
        var out: [UInt8] = []
        ChunkedFrames.appendFrame(Array("123456789".utf8), to: &out)
        #expect(out == [0x09, 0xE3, 0x06, 0x92, 0x83] + Array("123456789".utf8))
        let big = [UInt8](repeating: 7, count: 300)
        ChunkedFrames.appendFrame(big, to: &out)
        #expect(Array(out[14..<16]) == [0xAC, 0x02])  // uvarint(300)
        #expect(try ChunkedFrames.parse(out) == [Array("123456789".utf8), big])
        #expect(try ChunkedFrames.parse([]) == [])
    }

    @Test("parse rejects corrupted checksums and messages")
    func crcMismatch() {
        var out: [UInt8] = []
        ChunkedFrames.appendFrame([1, 2, 3], to: &out)
        ChunkedFrames.appendFrame([4, 5, 6, 7], to: &out)
        for i in 0..<out.count where i != 0 && i != 8 {  // every byte but the two length bytes
            var bad = out
            bad[i] ^= 0x10
            #expect(throws: ChunkedFrameError.self) { try ChunkedFrames.parse(bad) }
            do {
                _ = try ChunkedFrames.parse(bad)
            } catch let e as ChunkedFrameError {
                guard case .checksumMismatch(let offset, _, _) = e else {
                    Issue.record("expected checksum mismatch at byte \(i), got \(e)")
                    continue
                }
                #expect(offset == (i < 8 ? 0 : 8))
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test("parse rejects truncation at every cut that is not a frame boundary, and oversize frames")
    func truncation() throws {
        var out: [UInt8] = []
        ChunkedFrames.appendFrame([UInt8](repeating: 1, count: 200), to: &out)  // 2 + 4 + 200
        ChunkedFrames.appendFrame([9], to: &out)  // 1 + 4 + 1
        for cut in 1..<out.count where cut != 206 {
            #expect(throws: ChunkedFrameError.self) { try ChunkedFrames.parse(Array(out[..<cut])) }
        }
        #expect(throws: ChunkedFrameError.truncated(offset: 206)) { try ChunkedFrames.parse(Array(out[..<210])) }
        #expect(try ChunkedFrames.parse(Array(out[..<206])).count == 1)
        #expect(throws: ChunkedFrameError.frameTooLarge(offset: 0, size: 200)) { try ChunkedFrames.parse(out, maxFrameBytes: 199) }
        #expect(throws: ChunkedFrameError.badLength(offset: 0)) { try ChunkedFrames.parse([UInt8](repeating: 0xFF, count: 11)) }
    }

    static func series(_ name: String, samples: Int, start: Int64 = 0) -> ChunkedReadSeries {
        let ts = (0..<samples).map { start + Int64($0) * 1000 }
        let vs = (0..<samples).map { Double($0 % 17).bitPattern }
        return (labels: [(name: "__name__", value: name), (name: "job", value: "j")],
                chunks: XORChunkEncoder.encodeChunks(timestampsMs: ts, valueBits: vs))
    }

    @Test("frames: one series per frame, in order; empty series skipped")
    func framesOnePerSeries() throws {
        let input = [Self.series("a", samples: 10), Self.series("b", samples: 0), Self.series("c", samples: 500, start: -100_000)]
        let frames = ChunkedFrames.frames(series: input, queryIndex: 0)
        #expect(frames.count == 2)
        let messages = try ChunkedFrames.parse(frames.flatMap { $0 })
        #expect(messages.count == 2)
        let d0 = try #require(decodeResponse(messages[0]))
        let d1 = try #require(decodeResponse(messages[1]))
        #expect(d0.series.count == 1 && d1.series.count == 1)
        #expect(d0.series[0].labels == ["__name__=a", "job=j"])
        #expect(d1.series[0].labels == ["__name__=c", "job=j"])
        #expect(d1.series[0].data == input[2].chunks.map(\.data))
        // Each frame is exactly appendFrame(message(...)).
        var expected: [UInt8] = []
        ChunkedFrames.appendFrame(ChunkedReadEncoder.message(querySeries: [input[0]], queryIndex: 0), to: &expected)
        #expect(frames[0] == expected)
    }

    @Test("frames: a large series continues in further frames like Prometheus; never interleaved")
    func framesSplit() throws {
        let a = Self.series("a", samples: 1200)  // 10 chunks
        let b = Self.series("b", samples: 240)  // 2 chunks
        let labelBytes = 2 + 8 + 2 + 1 + 2 + 3 + 2 + 1  // Label sizes: 12 + 8
        let chunkSize = a.chunks[1].data.count + 3 + 4 + 4 + 2  // typical middle chunk: 3-byte times
        // Budget for three middle chunks: the frame is cut once the budget is used up (≤ 0).
        let target = labelBytes + 3 * chunkSize
        let frames = ChunkedFrames.frames(series: [a, b], queryIndex: 5, targetFrameBytes: target)
        let decoded = try ChunkedFrames.parse(frames.flatMap { $0 }).map { try #require(decodeResponse($0)) }
        #expect(decoded.allSatisfy { $0.series.count == 1 && $0.queryIndex == 5 })
        let names = decoded.map { $0.series[0].labels[0] }
        // all frames of "a" precede all frames of "b"
        #expect(names == names.sorted())
        #expect(names.filter { $0 == "__name__=a" }.count >= 3)
        let aChunks = decoded.filter { $0.series[0].labels[0] == "__name__=a" }.flatMap { $0.series[0].data }
        let bChunks = decoded.filter { $0.series[0].labels[0] == "__name__=b" }.flatMap { $0.series[0].data }
        #expect(aChunks == a.chunks.map(\.data))
        #expect(bChunks == b.chunks.map(\.data))
        // A tiny target still makes progress: one chunk per frame.
        #expect(ChunkedFrames.frames(series: [a], queryIndex: 0, targetFrameBytes: 1).count == a.chunks.count)
        // The default 1 MiB target keeps a normal series in one frame.
        #expect(ChunkedFrames.frames(series: [a, b], queryIndex: 0).count == 2)
    }
}
