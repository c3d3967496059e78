import Foundation
import SeismoModel
@testable import SeismoWire
import Testing
import SeismoTestSupport

/// What one decoder made of one body: the batch, or the error's kind and limit.
enum Outcome: Equatable, CustomStringConvertible {
    case batch(BatchImage)
    case refused(WireError.Kind, limit: String)

    var description: String {
        switch self {
        case .batch(let b): return "batch(\(b.series.count) series, \(b.timestamps.count) samples, rejections \(b.rejectionCounts))"
        case .refused(let kind, let limit): return "refused(\(kind), \(limit))"
        }
    }
}

/// Every observable part of a `WriteBatch`, comparable with ==.
struct BatchImage: Equatable {
    var labelBytes: [UInt8]
    var series: [BatchSeries]
    var timestamps: [Int64]
    var valueBits: [UInt64]
    var metadata: [MetricMetadata]
    var rejectionCounts: [Int]
    var rejectionExamples: [String?]
    var rejectedSeries: Int
    var exemplarsIgnored: Int

    init(_ b: WriteBatch) {
        labelBytes = b.labelBytes
        series = b.series
        timestamps = b.timestamps
        valueBits = b.valueBits
        metadata = b.metadata
        rejectionCounts = b.rejections.counts
        rejectionExamples = b.rejections.examples
        rejectedSeries = b.rejections.series
        exemplarsIgnored = b.exemplarsIgnored
    }
}

enum BodyKind { case snappy, protobuf }

func outcome(_ bytes: [UInt8], _ kind: BodyKind, start: WriteBatch = WriteBatch(),
             decode: (UnsafeRawBufferPointer, inout WriteBatch) throws -> Void) -> Outcome {
    var batch = start
    do {
        try bytes.withUnsafeBytes { try decode($0, &batch) }
        return .batch(BatchImage(batch))
    } catch let e as WireError {
        // A refused body leaves the batch as it was.
        #expect(BatchImage(batch) == BatchImage(start), "refused body changed the batch: \(e)")
        return .refused(e.kind, limit: e.limit)
    } catch {
        Issue.record("unexpected error type \(error)")
        return .refused(.malformed, limit: "?")
    }
}

/// A walker reused across bodies, taught series ids after each decode as the server
/// teaches it the store's: from its second sight of a label set on, it names the series
/// by id (`BatchSeries.seriesHint`), and `book.expand` gives the keys back.
final class WarmWalker {
    let decoder: WriteRequestDecoder
    let book = SeriesIdBook()
    init(seriesCacheEntries: Int = 65_536, seriesCacheBytes: Int = 8 << 20) {
        decoder = WriteRequestDecoder(seriesCacheEntries: seriesCacheEntries, seriesCacheBytes: seriesCacheBytes)
    }
    var cachedSeries: Int { decoder.cachedSeries }
    var seriesCacheResets: Int { decoder.seriesCacheResets }
    var seriesCacheFootprint: (bytes: Int, slots: Int) { decoder.seriesCacheFootprint }
}

/// Decodes `bytes` with the walker and the protobuf-c oracle and expects the same outcome
/// (a warm walker's batch with its hinted series expanded to their keys).
@discardableResult
func expectSameOutcome(_ bytes: [UInt8], _ kind: BodyKind = .protobuf,
                       walker: WarmWalker? = nil, oracle: ProtobufCWriteRequestDecoder? = nil,
                       limits: WireLimits = WireLimits(), start: WriteBatch = WriteBatch(),
                       note comment: @autoclosure () -> String = "",
                       sourceLocation: SourceLocation = #_sourceLocation) -> Outcome {
    let w = walker?.decoder ?? WriteRequestDecoder(limits: limits)
    let o = oracle ?? ProtobufCWriteRequestDecoder(limits: limits)
    let new = outcome(bytes, kind, start: start) { buf, batch in
        if kind == .snappy { try w.decode(snappyBody: buf, into: &batch) } else { try w.decode(protobuf: buf, into: &batch) }
        if let walker {
            walker.book.learn(w, batch)
            batch = walker.book.expand(batch)
        } else {
            #expect(!batch.series.contains { $0.seriesHint != BatchSeries.unresolved }, "a decoder never taught ids gave a hint")
        }
    }
    let old = outcome(bytes, kind, start: start) { buf, batch in
        if kind == .snappy { try o.decode(snappyBody: buf, into: &batch) } else { try o.decode(protobuf: buf, into: &batch) }
    }
    #expect(new == old, "walker \(new) vs protobuf-c \(old) \(comment())", sourceLocation: sourceLocation)
    return new
}

extension PB {
    mutating func fixed32Field(_ field: Int, _ v: UInt32) {
        tag(field, 5)
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) }
    }

    /// One unknown field of each usable wire type, numbered `field`.
    mutating func unknownFields(_ field: Int) {
        varintField(field, 300)
        fixed64Field(field, 0x0102_0304_0506_0708)
        bytesField(field, [1, 2, 3])
        fixed32Field(field, 7)
    }
}

@Suite("Walker and protobuf-c decoders agree")
struct DifferentialTests {
    static let fixtureDirectories = [Fixtures.directory, URL(fileURLWithPath: "/work/shared/fixtures/remote-write")]

    /// Every remote-write body of both fixture directories (read requests are not).
    static func fixtureBodies() -> [(String, [UInt8])] {
        var out: [(String, [UInt8])] = []
        for dir in fixtureDirectories {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            for name in names.sorted() where name.hasSuffix(".bin") && !name.hasPrefix("read_request") {
                if let data = try? Data(contentsOf: dir.appendingPathComponent(name)) {
                    out.append((dir.lastPathComponent + "/" + name, Array(data)))
                }
            }
        }
        return out
    }

    static func decompressed(_ body: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        try body.withUnsafeBytes { try Snappy.decompress($0, maxDecodedBytes: 64 << 20, into: &out) }
        return out
    }

    @Test("every fixture body, decoded cold and again with a warm series cache")
    func fixtures() throws {
        let bodies = Self.fixtureBodies()
        #expect(bodies.count >= 18)  // 9 in Tests/Fixtures, 9 in /work/shared
        let walker = WarmWalker()
        for (name, body) in bodies {
            let cold = expectSameOutcome(body, .snappy, note: name)
            let warm = expectSameOutcome(body, .snappy, walker: walker, note: name)
            let again = expectSameOutcome(body, .snappy, walker: walker, note: name)
            #expect(cold == warm && warm == again)
            if case .refused = cold { Issue.record("fixture \(name) refused") }
        }
        #expect(walker.cachedSeries > 0)
    }

    @Test("a batch that already holds data is appended to, and kept as it was on refusal")
    func appendsToExistingBatch() throws {
        var start = WriteBatch()
        start.append(labels: [("__name__", "x")], samples: [(1, 1)])
        start.rejections.add(.invalidUTF8, samples: 2) { "earlier" }
        start.exemplarsIgnored = 3
        let body = try Fixtures.load("prom242_write_01.bin")
        expectSameOutcome(body, .snappy, start: start)
        let bad = PB.writeRequest([PB.series([("__name__", "a"), ("b", "\u{1}")], samples: [(1, 1)])]) + [0x0A, 0x05]
        #expect(expectSameOutcome(bad, start: start) == .refused(.malformed, limit: "decoded_size"))
    }

    // MARK: - Generated bodies

    /// Re-encodes a request with each TimeSeries' fields in a shuffled order (labels
    /// interleaved with samples), the request's entries shuffled too.
    static func shuffled(_ pb: [UInt8], seed: UInt64) -> [UInt8] {
        var rng = SplitMix(state: seed)
        var w = Walker(pb)
        var entries: [[UInt8]] = []
        while !w.atEnd {
            let f = w.field()
            var out = PB()
            if f.number == 1 {
                var fields: [(Int, [UInt8])] = []
                var s = Walker(pb, from: f.range.lowerBound, to: f.range.upperBound)
                while !s.atEnd {
                    let g = s.field()
                    fields.append((g.number, Array(pb[g.range])))
                }
                // Labels keep their relative order (it is part of the label rules);
                // everything else moves around them.
                let labels = fields.filter { $0.0 == 1 }
                var others = fields.filter { $0.0 != 1 }
                others.shuffle(using: &rng)
                var merged: [(Int, [UInt8])] = []
                var li = 0
                for o in others {
                    while li < labels.count && Bool.random(using: &rng) {
                        merged.append(labels[li])
                        li += 1
                    }
                    merged.append(o)
                }
                merged += labels[li...]
                var series = PB()
                for (n, b) in merged { series.bytesField(n, b) }
                out.bytesField(1, series.bytes)
            } else {
                out.bytesField(f.number, Array(pb[f.range]))
            }
            entries.append(out.bytes)
        }
        entries.shuffle(using: &rng)
        return entries.flatMap { $0 }
    }

    @Test("shuffled field order, with cold and warm caches")
    func shuffledFieldOrder() throws {
        let pb = try Self.decompressed(Fixtures.load("prom242_batch2000_01.bin"))
        let walker = WarmWalker()
        for seed in 1...5 as ClosedRange<UInt64> {
            let body = Self.shuffled(pb, seed: seed)
            expectSameOutcome(body, note: "seed \(seed)")
            expectSameOutcome(body, walker: walker, note: "seed \(seed)")
        }
    }

    @Test("unknown fields of every wire type at every level")
    func unknownFields() {
        var label = PB()
        label.unknownFields(3)
        label.bytesField(1, Array("__name__".utf8))
        label.unknownFields(15)
        label.bytesField(2, Array("up".utf8))
        var sample = PB()
        sample.unknownFields(9)
        sample.fixed64Field(1, (2.5).bitPattern)
        sample.unknownFields(2000)
        sample.varintField(2, 1234)
        var series = PB()
        series.unknownFields(5)
        series.bytesField(1, label.bytes)
        series.unknownFields(100_000)
        series.bytesField(1, PB.label(Array("job".utf8), Array("x".utf8)))
        series.bytesField(2, sample.bytes)
        var md = PB()
        md.varintField(1, 2)
        md.unknownFields(3)
        md.bytesField(2, Array("up".utf8))
        var req = PB()
        req.unknownFields(2)  // reserved 2
        req.bytesField(1, series.bytes)
        req.unknownFields(1 << 28)
        req.bytesField(3, md.bytes)
        let out = expectSameOutcome(req.bytes)
        guard case .batch(let b) = out else { Issue.record("refused: \(out)"); return }
        #expect(b.series.count == 1 && b.timestamps == [1234] && b.metadata.count == 1)
    }

    @Test("repeated series, repeated and absent scalars (last wins, zero defaults)")
    func repeatedAndDefaults() {
        let one = PB.series([("__name__", "up"), ("job", "a")], samples: [(1, 1), (2, 2)])
        var lastWins = PB()
        lastWins.bytesField(1, Array("__name__".utf8))
        lastWins.bytesField(1, Array("zzz".utf8))  // name given twice: the last wins, then fails the order check
        lastWins.bytesField(2, Array("first".utf8))
        lastWins.bytesField(2, Array("second".utf8))
        var sampleTwice = PB()
        sampleTwice.fixed64Field(1, (1.0).bitPattern)
        sampleTwice.varintField(2, 5)
        sampleTwice.fixed64Field(1, (9.0).bitPattern)
        sampleTwice.varintField(2, 7)
        var s2 = PB()
        s2.bytesField(1, PB.label(Array("__name__".utf8), Array("m".utf8)))
        s2.bytesField(2, sampleTwice.bytes)
        s2.bytesField(2, [])  // empty sample: value 0, timestamp 0
        var s3 = PB()
        s3.bytesField(1, lastWins.bytes)
        s3.bytesField(2, PB.sample(1, 1))
        for body in [
            PB.writeRequest([one, one, one]),
            PB.writeRequest([s2.bytes, one, s2.bytes]),
            PB.writeRequest([s3.bytes]),
            PB.writeRequest([[], [], one]),  // empty TimeSeries entries
            PB.writeRequest([PB.series([("__name__", "up")], samples: [])]),  // labels, no samples
        ] {
            expectSameOutcome(body)
        }
    }

    static let badLabelSets: [[([UInt8], [UInt8])]] = {
        func b(_ s: String) -> [UInt8] { Array(s.utf8) }
        return [
            [],
            [(b("job"), b("a"))],  // no __name__
            [(b("__name__"), b("")), (b("job"), b("a"))],
            [(b(""), b("v")), (b("__name__"), b("up"))],
            [(b("__name__"), b("up")), (b("job"), b(""))],
            [(b("__name__"), b("up")), (b("b"), b("1")), (b("a"), b("2"))],
            [(b("__name__"), b("up")), (b("a"), b("1")), (b("a"), b("2"))],
            [(b("__name__"), b("1up")), (b("a"), b("1"))],
            [(b("__name__"), b("up")), (b("a-b"), b("1"))],
            [(b("__name__"), b("up")), (b("a"), [0xFF, 0xFE])],
            [(b("__name__"), b("up")), ([0xC3, 0xA9], b("1"))],
            [(b("__name__"), b("up")), (b("a"), [0xED, 0xA0, 0x80])],  // surrogate
            [(b("__name__"), b("up")), (b("a"), [0xF0, 0x82, 0x82, 0xAC])],  // overlong
            [(b("__name__"), b("up")), (b("a"), b("x\0y"))],  // NUL: protobuf-c cut it at the NUL
            [(b("__name__"), b("up")), (b("a\0b"), b("v"))],
            [(b("__name__"), b("up")), ([0], b("v"))],  // name "\0" reads as empty
            [(b("__name__"), b("up")), (b("a"), Array(repeating: UInt8(ascii: "v"), count: 5000))],
            [(b("__name__"), b("up")), (Array(repeating: UInt8(ascii: "n"), count: 2000), b("v"))],
            [(b("__name__"), b("up"))] + (0..<70).map { (b(String(format: "l%03d", $0)), b("v")) },
        ]
    }()

    @Test("refused label sets: same reasons, counts and example texts; good series kept")
    func badLabels() {
        let good = PB.series([("__name__", "ok"), ("i", "1")], samples: [(5, 5)])
        let walker = WarmWalker()
        for (i, labels) in Self.badLabelSets.enumerated() {
            let bad = PB.series(labels, samples: [(1, 1), (2, 2)], histograms: i % 2, exemplars: i % 3)
            let body = PB.writeRequest([good, bad, good, bad])
            expectSameOutcome(body, note: "label set \(i)")
            expectSameOutcome(body, walker: walker, note: "label set \(i), warm")
        }
        // All refusals in one request: each reason's first example is kept.
        let all = PB.writeRequest(Self.badLabelSets.map { PB.series($0, samples: [(1, 1)]) })
        expectSameOutcome(all)
        let small = WireLimits(maxLabelsPerSeries: 3, maxLabelNameBytes: 4, maxLabelValueBytes: 4)
        expectSameOutcome(all, limits: small)
    }

    @Test("NaN, stale markers, -0.0, infinities and extreme timestamps keep their bits")
    func specialValues() {
        let bits: [UInt64] = [staleMarkerBits, Double.nan.bitPattern, 0x7FF8_0000_0000_0001, (-0.0).bitPattern,
                              Double.infinity.bitPattern, (-Double.infinity).bitPattern, 0, 1]
        let timestamps: [Int64] = [0, -1, .min, .max, 1_796_000_000_000]
        var samples: [(Int64, UInt64)] = []
        for b in bits { for t in timestamps { samples.append((t, b)) } }
        let body = PB.writeRequest([PB.series([("__name__", "up")], samples: samples)])
        let out = expectSameOutcome(body)
        guard case .batch(let b) = out else { Issue.record("refused"); return }
        #expect(b.valueBits.contains(staleMarkerBits) && b.timestamps.contains(.min))
    }

    @Test("histograms and exemplars: counted, checked to protobuf-c's depth")
    func histogramsAndExemplars() {
        func series(_ extra: (inout PB) -> Void) -> [UInt8] {
            var s = PB()
            s.bytesField(1, PB.label(Array("__name__".utf8), Array("h".utf8)))
            s.bytesField(2, PB.sample(1, 1))
            extra(&s)
            return PB.writeRequest([s.bytes])
        }
        func histogram(_ build: (inout PB) -> Void) -> [UInt8] {
            var h = PB()
            build(&h)
            return series { $0.bytesField(4, h.bytes) }
        }
        var span = PB()
        span.varintField(1, 3)
        span.varintField(2, 2)
        let cases: [[UInt8]] = [
            histogram { h in
                h.varintField(1, 10); h.fixed64Field(3, 1); h.varintField(4, 1); h.fixed64Field(5, 0)
                h.varintField(6, 1); h.bytesField(8, span.bytes); h.bytesField(11, span.bytes)
                h.bytesField(9, [0x02, 0x80, 0x01]); h.varintField(12, 4)  // packed and unpacked sint64
                h.bytesField(10, Array(repeating: 0, count: 16)); h.fixed64Field(13, 0)  // packed and unpacked double
                h.varintField(14, 2); h.varintField(15, 99); h.fixed64Field(2, 1); h.fixed64Field(7, 1)
            },
            histogram { $0.bytesField(10, Array(repeating: 0, count: 12)) },  // packed doubles not a multiple of 8
            histogram { $0.bytesField(9, Array(repeating: 0x80, count: 11) + [0]) },  // packed varint of 12 bytes
            histogram { $0.bytesField(9, [0x80]) },  // packed varint cut off
            histogram { $0.fixed32Field(9, 0) },  // sint64 as 32-bit
            histogram { $0.varintField(10, 0) },  // double as varint
            histogram { $0.fixed64Field(1, 0) },  // uint64 as 64-bit
            histogram { $0.varintField(8, 0) },  // message as varint
            histogram { $0.bytesField(8, [0x08]) },  // span with a cut-off varint
            histogram { $0.bytesField(8, [0x09, 0, 0, 0, 0, 0, 0, 0, 0]) },  // span offset as fixed64
            histogram { $0.bytesField(4, [0x01]) },  // schema as bytes
            histogram { $0.unknownFields(77) },
            series { $0.bytesField(3, PB.exemplar(1, 2)) },
            series { $0.bytesField(3, [0x0A, 0x02, 0x08, 0x01]) },  // exemplar label with a varint name
            series { $0.bytesField(3, [0x10, 0x01]) },  // exemplar value as varint
            series { $0.bytesField(3, [0x19, 0x01]) },  // exemplar timestamp as fixed64, cut off
            series { $0.varintField(3, 1) },  // exemplar as varint
            series { $0.fixed64Field(4, 1) },  // histogram as fixed64
        ]
        for (i, body) in cases.enumerated() { expectSameOutcome(body, note: "case \(i)") }
        // Histograms only (no float samples): refused as native histograms, example kept.
        let only = PB.writeRequest([PB.series([("__name__", "h"), ("le", "1")], samples: [], histograms: 2, exemplars: 1)])
        expectSameOutcome(only)
    }

    @Test("metadata: enum values, repeated and absent fields, bad wire types")
    func metadata() {
        func md(_ build: (inout PB) -> Void) -> [UInt8] {
            var m = PB()
            build(&m)
            return PB.writeRequest([], metadata: [m.bytes])
        }
        let cases: [[UInt8]] = [
            md { $0.varintField(1, 3); $0.bytesField(2, Array("f".utf8)); $0.bytesField(4, Array("help\0cut".utf8)); $0.bytesField(5, Array("s".utf8)) },
            md { $0.varintField(1, 8) },
            md { $0.varintField(1, UInt64.max) },
            md { $0.varintField(1, 1 << 32 | 2) },  // low 32 bits are GAUGE
            md { $0.bytesField(2, [0xFF, 0xC3]) },  // invalid UTF-8 help text is replaced, not refused
            md { $0.bytesField(2, Array("a".utf8)); $0.bytesField(2, Array("b".utf8)) },
            md { _ in },
            md { $0.bytesField(1, [1]) },
            md { $0.varintField(4, 1) },
        ]
        for (i, body) in cases.enumerated() { expectSameOutcome(body, note: "case \(i)") }
    }

    @Test("wire-level edge cases: field 0, groups, long keys, varints and lengths")
    func wireEdges() {
        let s = PB.series([("__name__", "up")], samples: [(1, 1)])
        let cases: [[UInt8]] = [
            [0x02, 0x00],  // field 0 in a one-byte key: refused
            [0x82, 0x00, 0x00],  // field 0 in a two-byte key: protobuf-c skips it
            [0x0B, 0x0C], [0x1B, 0x1C], [0x2B, 0x2C], [0x0E], [0x0F, 0x00], [0x2F],
            [0x8A, 0x80, 0x80, 0x80, 0x00, 0x00],  // field 1 in a 5-byte key
            [0x8A, 0x80, 0x80, 0x80, 0x80, 0x00, 0x00],  // 6-byte key
            [0x8A, 0x80, 0x80, 0x80, 0x10, 0x00],  // field 1 + 2^29
            [0x0A, 0x80, 0x00],  // 2-byte length 0
            [0x0A, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00],  // 6-byte length
            [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0, 0],  // length 2^32-1
            [0x0A, 0x80, 0x80, 0x80, 0x80, 0x10, 0x0A, 0x00],  // length 2^32
            [0x08, 0x01],  // timeseries as varint
            [0x10] + Array(repeating: 0x80, count: 9) + [0x7F],  // 10-byte varint, excess bits
            [0x10] + Array(repeating: 0x80, count: 10) + [0x01],  // 11-byte varint
            [0x11, 1, 2, 3],  // fixed64 cut off
            [0x15, 1, 2, 3],  // fixed32 cut off
            [0x0A, 0x02, 0x12, 0x01],  // sample length past its series
            s + [0x0A],  // key, then nothing
            s + [0x1A, 0x00],  // empty metadata
            PB.writeRequest([[0x12, 0x0B, 0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0x10] + Array(repeating: 0x80, count: 10)]),  // sample ts varint too long
            PB.writeRequest([[0x12, 0x0C, 0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0x10, 0x01, 0x10]]),  // fast path then a cut key
            PB.writeRequest([[0x12, 0x0D, 0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0x10, 0x01, 0x09, 0x00]]),  // second value cut off
            PB.writeRequest([[0x12, 0x02, 0x11, 0x00]]),  // sample value as... field 2 fixed64 cut
            PB.writeRequest([[0x0A, 0x02, 0x08, 0x01]]),  // label name as varint
            PB.writeRequest([[0x0A, 0x02, 0x0B, 0x0C]]),  // group inside a label
        ]
        for (i, body) in cases.enumerated() { expectSameOutcome(body, note: "case \(i): \(body.prefix(16))") }
    }

    @Test("a body cut at every byte: both refuse, or both give the same batch")
    func truncatedEverywhere() {
        var md = PB()
        md.varintField(1, 1)
        md.bytesField(2, Array("up".utf8))
        let body = PB.writeRequest([
            PB.series([("__name__", "up"), ("job", "a")], samples: [(1, 1), (2, staleMarkerBits)], histograms: 1, exemplars: 1),
            PB.series([("__name__", "up"), ("job", "b\u{e9}")], samples: [(300, 3)]),
            PB.series([("job", "x")], samples: [(4, 4)]),
        ], metadata: [md.bytes])
        let walker = WarmWalker()
        let oracle = ProtobufCWriteRequestDecoder()
        for cut in 0...body.count {
            expectSameOutcome(Array(body.prefix(cut)), walker: walker, oracle: oracle, note: "cut at \(cut)")
        }
        let snappy = Snappy.compress(body)
        for cut in 0...snappy.count {
            expectSameOutcome(Array(snappy.prefix(cut)), .snappy, walker: walker, oracle: oracle, note: "snappy cut at \(cut)")
        }
    }

    @Test("random byte mutations of a real body")
    func mutations() throws {
        // The first whole TimeSeries entries, about 3 KB: small enough to mutate often.
        let full = try Self.decompressed(Fixtures.load("prom242_write_03.bin"))
        var w = Walker(full)
        while w.i < 3000 { _ = w.field() }
        let pb = Array(full.prefix(w.i))
        var rng = SplitMix(state: 42)
        let walker = WarmWalker()
        let oracle = ProtobufCWriteRequestDecoder()
        var accepted = 0
        for round in 0..<3000 {
            var body = pb
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let i = Int.random(in: 0..<body.count, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: body[i] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
                case 1: body[i] = UInt8.random(in: 0...255, using: &rng)
                case 2: body.remove(at: i)
                default: body.insert(UInt8.random(in: 0...255, using: &rng), at: i)
                }
            }
            if case .batch = expectSameOutcome(body, walker: walker, oracle: oracle, note: "round \(round)") { accepted += 1 }
        }
        print("DifferentialTests.mutations: \(accepted) of 3000 mutated bodies accepted")
    }

    @Test("a malformed body's error names the problem and where")
    func errorMessages() {
        func message(_ pb: [UInt8]) -> String {
            var batch = WriteBatch()
            do {
                try pb.withUnsafeBytes { try WriteRequestDecoder().decode(protobuf: $0, into: &batch) }
            } catch let e as WireError {
                #expect(e.kind == .malformed)
                return e.message
            } catch {}
            Issue.record("not refused")
            return ""
        }
        #expect(message([0x0A, 0xFF, 0x01, 0x00]) == "protobuf: cannot decode WriteRequest (4 bytes): length 255 runs past the end of its message (1 left) at byte 1")
        #expect(message([0x0F, 0x00]) == "protobuf: cannot decode WriteRequest (2 bytes): wire type 7 of field 1 does not exist at byte 1")
        #expect(message([0x0B, 0x0C]) == "protobuf: cannot decode WriteRequest (2 bytes): group (wire type 3) of field 1: groups are not supported at byte 1")
        #expect(message([0x0A, 0x04, 0x12, 0x02, 0x09, 0x00]) == "protobuf: cannot decode WriteRequest (6 bytes): 64-bit value cut off at byte 5")
        #expect(message([0x0A, 0x02, 0x10, 0x01]) == "protobuf: cannot decode WriteRequest (4 bytes): TimeSeries field 2 has wire type 0, not its declared type at byte 3")
    }

    @Test("limits: series per request, decoded size")
    func limits() throws {
        let body = try Fixtures.load("prom242_write_01.bin")
        #expect(expectSameOutcome(body, .snappy, limits: WireLimits(maxSeriesPerRequest: 499))
                == .refused(.tooLarge, limit: "series_per_request"))
        expectSameOutcome(body, .snappy, limits: WireLimits(maxSeriesPerRequest: 500))
        // Too many series and malformed: malformed wins, as in protobuf-c.
        let pb = try Self.decompressed(body) + [0x0A]
        #expect(expectSameOutcome(pb, limits: WireLimits(maxSeriesPerRequest: 10)) == .refused(.malformed, limit: "decoded_size"))
        expectSameOutcome(body, .snappy, limits: WireLimits(maxDecodedBytes: 1000))
        expectSameOutcome(body, .snappy, limits: WireLimits(maxCompressedBytes: 1000))
    }
}
