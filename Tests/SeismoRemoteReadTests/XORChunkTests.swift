import SeismoModel
import SeismoRemoteRead
import Testing
import SeismoTestSupport

func encode(_ ts: [Int64], _ vs: [UInt64]) -> [UInt8] {
    var enc = XORChunkEncoder()
    for (t, v) in zip(ts, vs) { enc.append(timestampMs: t, valueBits: v) }
    #expect(enc.count == ts.count)
    return enc.bytes
}

func expectRoundTrip(_ ts: [Int64], _ vs: [UInt64], sourceLocation: SourceLocation = #_sourceLocation) {
    let data = encode(ts, vs)
    #expect(Int(data[0]) << 8 | Int(data[1]) == ts.count, sourceLocation: sourceLocation)
    do {
        let decoded = try XORChunkDecoder.decode(data)
        #expect(decoded.map(\.0) == ts, sourceLocation: sourceLocation)
        #expect(decoded.map(\.1) == vs, sourceLocation: sourceLocation)
    } catch {
        Issue.record("decode failed: \(error)", sourceLocation: sourceLocation)
    }
}

let staleNaN: UInt64 = 0x7FF0_0000_0000_0002

@Suite("XOR chunk encoding")
struct XORChunkTests {
    // MARK: golden bytes, computed by hand from the layout in protocols.md §3.5

    /// t = 1000, 2000, 3000, 4001; v = 1.0, 2.0, 2.0, 2.0
    ///
    ///     00 04                    header: 4 samples (the 2-sample chunk says 00 02)
    ///     D0 0F                    zigzag(1000) = 2000 = 0b1111_1010000 → varint D0 0F
    ///     3F F0 00 00 00 00 00 00  1.0, raw bits
    ///     E8 07                    uvarint(Δ = 1000) = 0b111_1101000 → E8 07
    ///     then bits: x = 0x3FF0… ^ 0x4000… = 0x7FF0_0000_0000_0000, lead 1, trail 52, 11 sig bits
    ///     sample 1: 1 1 00001 001011 11111111111                  (24 bits → C2 5F FF)
    ///     sample 2: dod 0 → 0; same value → 0                      (2 bits)
    ///     sample 3: dod 1 → 10 00000000000001; same value → 0      (17 bits)
    ///     00 10000000 000000 010 + 5 zero bits of padding → 20 00 40
    @Test("golden: two, three and four samples")
    func goldenSmall() {
        let ts: [Int64] = [1000, 2000, 3000, 4001]
        let one: UInt64 = 0x3FF0_0000_0000_0000, two: UInt64 = 0x4000_0000_0000_0000
        let vs = [one, two, two, two]
        let prefix: [UInt8] = [0xD0, 0x0F, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0, 0xE8, 0x07, 0xC2, 0x5F, 0xFF]
        #expect(encode(Array(ts[..<2]), Array(vs[..<2])) == [0x00, 0x02] + prefix)
        #expect(encode(Array(ts[..<3]), Array(vs[..<3])) == [0x00, 0x03] + prefix + [0x00])
        #expect(encode(ts, vs) == [0x00, 0x04] + prefix + [0x20, 0x00, 0x40])
        expectRoundTrip(ts, vs)
    }

    /// t = 0, 1, 2; v bits = 0, 1, 3.
    ///
    ///     00 03 | 00 (zigzag 0) | 00×8 (value 0) | 01 (Δ = 1)
    ///     sample 1: x = 1: lead 63 clamped to 31, trail 0, 33 sig bits
    ///               1 1 11111 100001 + 33 bits (0…01)
    ///     sample 2: dod 0 → 0; x = 1^3 = 2: lead 62→31 ≥ 31, trail 1 ≥ 0 → reuse window:
    ///               1 0 + 33 bits of x >> 0 (0…010)
    ///     82 bits → FF 08 00 00 00 05 00 00 00 00 80
    @Test("golden: leading zeros clamped to 31, then the previous window is reused")
    func goldenClampAndReuse() {
        let data = encode([0, 1, 2], [0, 1, 3])
        let expected: [UInt8] = [0x00, 0x03, 0x00] + [UInt8](repeating: 0, count: 8) + [0x01]
            + [0xFF, 0x08, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x80]
        #expect(data == expected)
        expectRoundTrip([0, 1, 2], [0, 1, 3])
    }

    /// v bits = 0, 0x8000_0000_0000_0001: lead 0, trail 0 → 64 significant bits, written as 0:
    /// 1 1 00000 000000 + 64 bits → C0 04 00 00 00 00 00 00 00 08
    @Test("golden: 64 significant bits are written as 0 in the 6-bit field")
    func goldenSixtyFourSigBits() {
        let data = encode([5, 6], [0, 0x8000_0000_0000_0001])
        let expected: [UInt8] = [0x00, 0x02, 0x0A] + [UInt8](repeating: 0, count: 8) + [0x01]
            + [0xC0, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08]
        #expect(data == expected)
        expectRoundTrip([5, 6], [0, 0x8000_0000_0000_0001])
    }

    @Test("golden: negative first timestamp is a zigzag varint; one sample is header + varint + 64 bits")
    func goldenSingleNegative() {
        // zigzag(-1) = 1; zigzag(-65) = 129 = 81 01. The stream ends on a byte boundary after
        // whole bytes, so (like Prometheus's bstream, whose writeByte always opens the next
        // byte) the chunk carries one trailing empty byte.
        #expect(encode([-1], [0]) == [0x00, 0x01, 0x01] + [UInt8](repeating: 0, count: 8) + [0x00])
        #expect(encode([-65], [staleNaN]) == [0x00, 0x01, 0x81, 0x01, 0x7F, 0xF0, 0, 0, 0, 0, 0, 0x02, 0x00])
        #expect(XORChunkEncoder().bytes == [0x00, 0x00])
        #expect(XORChunkEncoder().count == 0)
    }

    // MARK: round trips

    @Test("regular 1 s series of a counter: every dod is 0")
    func regular() {
        let ts = (0..<120).map { Int64(1_700_000_000_000) + Int64($0) * 1000 }
        let vs = (0..<120).map { Double($0 * 3).bitPattern }
        expectRoundTrip(ts, vs)
    }

    @Test("constant value over 120 samples costs ~2 bits per sample")
    func constant() {
        let ts = (0..<120).map { Int64($0) * 15_000 }
        let vs = [UInt64](repeating: 42.0.bitPattern, count: 120)
        let data = encode(ts, vs)
        // header 2 + varint(0) 1 + 8 + uvarint(15000) 2, then 1 bit + 118 × 2 bits = 237 bits → 30 bytes
        #expect(data.count == 2 + 1 + 8 + 2 + 30)
        expectRoundTrip(ts, vs)
    }

    @Test("jittered scrape timestamps and random doubles", arguments: [1 as UInt64, 2, 3, 4, 5])
    func jittered(seed: UInt64) {
        var rng = SplitMix(state: seed)
        var t: Int64 = 1_600_000_000_000
        var ts: [Int64] = [], vs: [UInt64] = []
        for _ in 0..<1000 {
            t += 15_000 + Int64(rng.next() % 41) - 20
            ts.append(t)
            vs.append((Double(Int64(bitPattern: rng.next()) % 1_000_000) / 7.0).bitPattern)
        }
        expectRoundTrip(ts, vs)
        // Fully random bit patterns and random timestamps (every dod bucket, wrapping deltas).
        let rts = (0..<500).map { _ in Int64(bitPattern: rng.next()) >> Int64(rng.next() % 64) }
        let rvs = (0..<500).map { _ in (rng.next() >> (rng.next() % 64)) << (rng.next() % 64) }
        expectRoundTrip(rts, rvs)
    }

    @Test("NaN, stale marker, ±Inf, ±0 and subnormals are plain bit patterns")
    func specialValues() {
        let vs: [UInt64] = [
            Double.nan.bitPattern, staleNaN, Double.infinity.bitPattern, (-Double.infinity).bitPattern,
            0, (-0.0).bitPattern, Double.leastNonzeroMagnitude.bitPattern, staleNaN, staleNaN,
            Double.greatestFiniteMagnitude.bitPattern, 1, UInt64.max, 0x8000_0000_0000_0001,
        ]
        let ts = (0..<Int64(vs.count)).map { $0 * 1000 }
        expectRoundTrip(ts, vs)
    }

    @Test("negative timestamps and negative deltas")
    func negativeTimestamps() {
        expectRoundTrip([-5000, -4000, -3000, -2500], [1, 2, 3, 4])
        expectRoundTrip([1000, 0, -1000, 5000, 4999, 4998], [1, 1, 1, 2, 2, 2])
        expectRoundTrip([Int64.max, Int64.min, 0, Int64.max, -1], [0, 1, 2, 3, 4])
        expectRoundTrip([Int64.min, Int64.max], [7, 7])
    }

    /// After sample 1 (constant value, Δ = 1000) the stream is byte-aligned at byte 13 with one
    /// value bit (`0`); the dod prefix follows.
    static func dodPrefixOnes(_ dod: Int64) -> Int {
        let data = encode([0, 1000, 2000 + dod], [9, 9, 9])
        var b = data[13] << 1
        var ones = 0
        while ones < 4 && b & 0x80 != 0 {
            ones += 1
            b <<= 1
        }
        return ones
    }

    @Test("delta-of-delta bucket boundaries", arguments: [
        (Int64(0), 0),
        (1, 1), (-1, 1), (8191, 1), (8192, 1), (-8191, 1), (8193, 2), (-8192, 2),
        (65535, 2), (65536, 2), (-65535, 2), (65537, 3), (-65536, 3),
        (524287, 3), (524288, 3), (-524287, 3), (524289, 4), (-524288, 4),
        (1 << 40, 4), (-(1 << 40), 4), (Int64(Int32.max), 4),
    ])
    func dodBuckets(dod: Int64, prefixOnes: Int) {
        #expect(Self.dodPrefixOnes(dod) == prefixOnes)
        expectRoundTrip([0, 1000, 2000 + dod, 3000 + dod, 4000 + dod + dod], [9, 9, 9, 10, 10])
    }

    @Test("decoder: empty chunk, truncated data, bad varint")
    func decoderErrors() throws {
        #expect(try XORChunkDecoder.decode([0, 0]).isEmpty)
        #expect(throws: XORChunkError.truncated) { try XORChunkDecoder.decode([0]) }
        let data = encode([0, 1000, 2001, 3500], [1, 2, 4, 8])
        for cut in 2..<data.count {
            #expect(throws: XORChunkError.truncated) { try XORChunkDecoder.decode(Array(data[..<cut])) }
        }
        #expect(throws: XORChunkError.badVarint) {
            try XORChunkDecoder.decode([0, 1] + [UInt8](repeating: 0xFF, count: 11) + [UInt8](repeating: 0, count: 8))
        }
    }

    @Test("encodeChunks cuts at 120 samples with first/last timestamps")
    func cutting() throws {
        let n = 250
        let ts = (0..<n).map { Int64($0) * 1000 - 3000 }
        let vs = (0..<n).map { Double($0).squareRoot().bitPattern }
        let chunks = XORChunkEncoder.encodeChunks(timestampsMs: ts, valueBits: vs)
        #expect(chunks.count == 3)
        #expect(chunks.map(\.minTimeMs) == [ts[0], ts[120], ts[240]])
        #expect(chunks.map(\.maxTimeMs) == [ts[119], ts[239], ts[249]])
        var all: [(Int64, UInt64)] = []
        for c in chunks {
            let d = try XORChunkDecoder.decode(c.data)
            #expect(d.count == (c.minTimeMs == ts[240] ? 10 : 120))
            all += d
        }
        #expect(all.map(\.0) == ts)
        #expect(all.map(\.1) == vs)
        // Each chunk starts afresh: identical to encoding its slice alone.
        #expect(chunks[1].data == encode(Array(ts[120..<240]), Array(vs[120..<240])))
        #expect(XORChunkEncoder.encodeChunks(timestampsMs: [], valueBits: []).isEmpty)
        #expect(XORChunkEncoder.encodeChunks(timestampsMs: ts, valueBits: vs, maxSamplesPerChunk: 100).count == 3)
        #expect(XORChunkEncoder.encodeChunks(timestampsMs: Array(ts[..<120]), valueBits: Array(vs[..<120])).count == 1)
    }
}
