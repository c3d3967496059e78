import SeismoModel
import Testing
@testable import SeismoStore

/// The two WAL sample-record payloads (`WALSamples`): the delta-coded one written since
/// 2026-12-01 and the plain one older data directories hold.
@Suite struct WALSamplesTests {
    typealias Sample = (id: UInt32, t: Int64, bits: UInt64)

    func deltaPayload(_ samples: [Sample]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 1 + samples.count * WALSamples.DeltaWriter.maxBytes)
        out[0] = WALSamples.deltaRecord
        var n = 1
        var writer = WALSamples.DeltaWriter()
        out.withUnsafeMutableBytes { p in
            for s in samples { n += writer.write(id: s.id, timestampMs: s.t, valueBits: s.bits, at: p.baseAddress! + n) }
        }
        return Array(out[..<n])
    }

    func decode(_ payload: [UInt8]) -> [Sample]? {
        payload.withUnsafeBytes { raw -> [Sample]? in
            guard let count = WALSamples.count(raw) else { return nil }
            var out: [Sample] = []
            WALSamples.forEach(raw) { out.append(($0, $1, $2)) }
            #expect(out.count == count)
            return out
        }
    }

    @Test func deltaRoundTripsExtremesAndRandomSamples() {
        var rng = SystemRandomNumberGenerator()
        var samples: [Sample] = [(0, 0, 0), (UInt32.max, .max, .max), (0, .min, 0x7ff0_0000_0000_0002),
                                 (UInt32.max, .min, 1), (7, -1, 2)]
        for _ in 0..<2000 {
            samples.append((UInt32.random(in: 0...UInt32.max, using: &rng), Int64.random(in: .min ... .max, using: &rng), rng.next()))
        }
        var t: Int64 = 1_800_000_000_123
        for id in stride(from: UInt32(5), to: 4000, by: 4) {
            samples.append((id, t, Double(id).bitPattern))
            if id % 400 == 1 { t += 1000 }
        }
        let back = decode(deltaPayload(samples))
        #expect(back?.count == samples.count)
        #expect(back.map { zip($0, samples).allSatisfy { $0.id == $1.id && $0.t == $1.t && $0.bits == $1.bits } } == true)
    }

    @Test func aScrapeTakesAboutTenBytesASample() {
        let samples: [Sample] = (0..<2000).map { (UInt32(100 + $0 * 3), 1_800_000_000_000, UInt64($0) &* 0x9E37_79B9_7F4A_7C15) }
        let payload = deltaPayload(samples)
        #expect(payload.count <= 1 + 6 + 2000 * 10)  // the first timestamp is a 6-byte varint
    }

    @Test func plainRecordsOfOlderVersionsStillRead() {
        var payload: [UInt8] = [WALSamples.plainRecord]
        for (id, t, bits) in [(UInt32(3), Int64(1_700_000_000_000), UInt64(42)), (300, -5, .max)] {
            appendUVarint(UInt64(id), to: &payload)
            appendU64(UInt64(bitPattern: t), to: &payload)
            appendU64(bits, to: &payload)
        }
        let back = decode(payload)
        #expect(back?.map(\.id) == [3, 300] && back?.map(\.t) == [1_700_000_000_000, -5] && back?.map(\.bits) == [42, .max])
    }

    @Test func malformedPayloadsAreRefusedWhole() {
        let good = deltaPayload([(1, 1000, 1), (2, 1000, 2)])
        #expect(decode(good)?.count == 2)
        #expect(decode(Array(good.dropLast())) == nil)  // truncated value
        #expect(decode([9] + good.dropFirst()) == nil)    // unknown type
        // An id delta leaving 0...UInt32.max.
        var below: [UInt8] = [WALSamples.deltaRecord]
        appendUVarint(zigzag(-1), to: &below)
        appendUVarint(0, to: &below)
        appendU64(0, to: &below)
        #expect(decode(below) == nil)
        var above: [UInt8] = [WALSamples.deltaRecord]
        appendUVarint(zigzag(Int64(UInt32.max) + 1), to: &above)
        appendUVarint(0, to: &above)
        appendU64(0, to: &above)
        #expect(decode(above) == nil)
    }
}
