import SeismoModel
import Testing
@testable import SeismoStore

/// `WALSampleCursor` must yield exactly what `DurableSamples.forEach` yields, on valid
/// batches and on every kind of damage `WALSamples.walk` and the framing walk recognise.
@Suite struct WALSampleCursorTests {
    typealias Sample = (id: UInt32, t: Int64, bits: UInt64)

    func deltaPayload(_ samples: [Sample]) -> [UInt8] { WALSamplesTests().deltaPayload(samples) }

    func plainPayload(_ samples: [Sample]) -> [UInt8] {
        var out: [UInt8] = [WALSamples.plainRecord]
        for s in samples {
            appendUVarint(UInt64(s.id), to: &out)
            appendU64(UInt64(bitPattern: s.t), to: &out)
            appendU64(s.bits, to: &out)
        }
        return out
    }

    func framed(_ payloads: [[UInt8]]) -> [UInt8] {
        var bytes: [UInt8] = []
        for p in payloads { p.withUnsafeBytes { RecordLog.frame($0, into: &bytes) } }
        return bytes
    }

    func viaForEach(_ bytes: [UInt8]) -> [Sample] {
        var out: [Sample] = []
        DurableSamples(walBytes: bytes).forEach { out.append(($0, $1, $2)) }
        return out
    }

    func viaCursor(_ bytes: [UInt8]) -> [Sample] {
        DurableSamples(walBytes: bytes).withCursor { cursor in
            var out: [Sample] = []
            while let s = cursor.next() { out.append((s.id, s.timestampMs, s.valueBits)) }
            #expect(cursor.next() == nil, "the end stays the end")
            return out
        }
    }

    func expectSame(_ bytes: [UInt8], _ comment: Comment, sourceLocation: SourceLocation = #_sourceLocation) {
        let a = viaForEach(bytes), b = viaCursor(bytes)
        #expect(a.count == b.count, comment, sourceLocation: sourceLocation)
        #expect(zip(a, b).allSatisfy { $0.id == $1.id && $0.t == $1.t && $0.bits == $1.bits }, comment,
                sourceLocation: sourceLocation)
    }

    func randomSamples(_ n: Int, _ rng: inout some RandomNumberGenerator) -> [Sample] {
        (0..<n).map { _ in
            (UInt32.random(in: 0...UInt32.max, using: &rng), Int64.random(in: .min ... .max, using: &rng), rng.next())
        }
    }

    @Test func validBatchesOfBothRecordTypes() {
        var rng = SystemRandomNumberGenerator()
        var scrape: [Sample] = []
        var t: Int64 = 1_800_000_000_123
        for id in stride(from: UInt32(5), to: 4000, by: 3) {
            scrape.append((id, t, Double(id).bitPattern))
            if id % 400 == 2 { t += 1000 }
        }
        let extremes: [Sample] = [(0, 0, 0), (UInt32.max, .max, .max), (0, .min, 1), (UInt32.max, .min, 1), (7, -1, 2)]
        expectSame([], "empty batch")
        expectSame(framed([deltaPayload(scrape)]), "one scrape")
        expectSame(framed([deltaPayload(scrape), deltaPayload(extremes), plainPayload(extremes),
                           deltaPayload(randomSamples(500, &rng)), plainPayload(randomSamples(300, &rng)),
                           deltaPayload(scrape)]), "records of both types")
        #expect(viaCursor(framed([deltaPayload(scrape)])).count == scrape.count)
    }

    @Test func damagedRecordsAreSkippedOrEndTheWalkAsForEachDoes() {
        var rng = SystemRandomNumberGenerator()
        let good = deltaPayload(randomSamples(50, &rng))
        let plain = plainPayload(randomSamples(20, &rng))
        // Payloads that yield nothing or stop part-way, each between two good records.
        var overflowId = plainPayload([(1, 2, 3)])
        overflowId.append(contentsOf: [0xFF, 0xFF, 0xFF, 0xFF, 0x7F])  // id 2^35 - 1 > UInt32.max
        var deltaNegative = deltaPayload([(3, 10, 1)])
        deltaNegative.append(contentsOf: [0x09, 0x00])  // id delta -5: id -2
        deltaNegative.append(contentsOf: [UInt8](repeating: 1, count: 8))
        var longVarint = deltaPayload([(3, 10, 1)])
        longVarint.append(contentsOf: [UInt8](repeating: 0x80, count: 10) + [1])  // more than ten bytes
        longVarint.append(contentsOf: [UInt8](repeating: 0, count: 9))
        let damaged: [(String, [UInt8])] = [
            ("empty payload", []),
            ("unknown type", [9, 1, 2, 3]),
            ("type byte only", [WALSamples.deltaRecord]),
            ("truncated delta sample", Array(good.dropLast(3))),
            ("truncated plain sample", Array(plain.dropLast(1))),
            ("id above 32 bits", overflowId),
            ("negative running id", deltaNegative),
            ("varint longer than ten bytes", longVarint),
        ]
        for (name, payload) in damaged {
            expectSame(framed([good, payload, plain, good]), "\(name)")
        }
        // A header whose length runs past the bytes ends the walk; so does a partial header.
        var bytes = framed([good, plain])
        expectSame(bytes + [200, 0, 0, 0, 0, 0, 0, 0, 1, 2], "length past the end")
        expectSame(bytes + [1, 0, 0], "partial header")
        bytes.removeLast()
        expectSame(bytes, "last record cut short")
    }
}
