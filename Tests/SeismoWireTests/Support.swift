import Foundation
import SeismoModel
import SeismoWire

/// Fixtures live in Tests/Fixtures/remote-write, found relative to this source file
/// (no bundle resources: the test target declares none).
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // SeismoWireTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Fixtures/remote-write")

    static func load(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static let writes = (1...6).map { "prom242_write_0\($0).bin" }
    static let batches = ["prom242_batch2000_01.bin", "prom242_batch2000_02.bin"]
    static let metadata = "prom242_metadata.bin"
}

/// Decodes a snappy body into a fresh batch.
func decodeBody(_ body: [UInt8], decoder: WriteRequestDecoder = WriteRequestDecoder()) throws -> WriteBatch {
    var batch = WriteBatch()
    try body.withUnsafeBytes { try decoder.decode(snappyBody: $0, into: &batch) }
    return batch
}

/// Decodes a snappy body with the protobuf-c oracle into a fresh batch.
func decodeBody(_ body: [UInt8], decoder: ProtobufCWriteRequestDecoder) throws -> WriteBatch {
    var batch = WriteBatch()
    try body.withUnsafeBytes { try decoder.decode(snappyBody: $0, into: &batch) }
    return batch
}

func decodeProtobuf(_ pb: [UInt8], decoder: WriteRequestDecoder = WriteRequestDecoder()) throws -> WriteBatch {
    var batch = WriteBatch()
    try pb.withUnsafeBytes { try decoder.decode(protobuf: $0, into: &batch) }
    return batch
}

extension WriteBatch {
    func key(_ s: BatchSeries) -> [UInt8] {
        Array(labelBytes[Int(s.keyOffset)..<Int(s.keyOffset + s.keyLength)])
    }

    func labels(_ s: BatchSeries) -> [(name: String, value: String)] {
        LabelKey.decode(key(s)) ?? []
    }

    /// (key, timestamp, value bits) for every sample, in batch order.
    var flatSamples: [Flat] {
        var out: [Flat] = []
        for s in series {
            let k = key(s)
            for i in Int(s.sampleOffset)..<Int(s.sampleOffset + s.sampleCount) {
                out.append(Flat(key: k, timestamp: timestamps[i], bits: valueBits[i]))
            }
        }
        return out
    }
}

struct Flat: Equatable {
    var key: [UInt8]
    var timestamp: Int64
    var bits: UInt64
}

// MARK: - A tiny protobuf writer, to craft requests protobuf-c's packer would not (bad
// UTF-8, histograms, exemplars, unknown enum values).

struct PB {
    var bytes: [UInt8] = []

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func tag(_ field: Int, _ wire: Int) { varint(UInt64(field << 3 | wire)) }

    mutating func varintField(_ field: Int, _ v: UInt64) {
        tag(field, 0)
        varint(v)
    }

    mutating func fixed64Field(_ field: Int, _ v: UInt64) {
        tag(field, 1)
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    mutating func bytesField(_ field: Int, _ data: [UInt8]) {
        tag(field, 2)
        varint(UInt64(data.count))
        bytes.append(contentsOf: data)
    }

    static func label(_ name: [UInt8], _ value: [UInt8]) -> [UInt8] {
        var m = PB()
        m.bytesField(1, name)
        m.bytesField(2, value)
        return m.bytes
    }

    static func sample(_ bits: UInt64, _ ts: Int64) -> [UInt8] {
        var m = PB()
        m.fixed64Field(1, bits)
        m.varintField(2, UInt64(bitPattern: ts))
        return m.bytes
    }

    /// A minimal native histogram: count_int and timestamp.
    static func histogram(count: UInt64, ts: Int64) -> [UInt8] {
        var m = PB()
        m.varintField(1, count)
        m.varintField(15, UInt64(bitPattern: ts))
        return m.bytes
    }

    static func exemplar(_ value: Double, _ ts: Int64) -> [UInt8] {
        var m = PB()
        m.bytesField(1, label(Array("trace_id".utf8), Array("abc".utf8)))
        m.fixed64Field(2, value.bitPattern)
        m.varintField(3, UInt64(bitPattern: ts))
        return m.bytes
    }

    static func series(_ labels: [([UInt8], [UInt8])], samples: [(Int64, UInt64)],
                       histograms: Int = 0, exemplars: Int = 0) -> [UInt8] {
        var m = PB()
        for (n, v) in labels { m.bytesField(1, label(n, v)) }
        for (ts, bits) in samples { m.bytesField(2, sample(bits, ts)) }
        for i in 0..<exemplars { m.bytesField(3, exemplar(1.5, 1000 + Int64(i))) }
        for i in 0..<histograms { m.bytesField(4, histogram(count: 3, ts: 2000 + Int64(i))) }
        return m.bytes
    }

    static func series(_ labels: [(String, String)], samples: [(Int64, UInt64)],
                       histograms: Int = 0, exemplars: Int = 0) -> [UInt8] {
        series(labels.map { (Array($0.0.utf8), Array($0.1.utf8)) }, samples: samples,
               histograms: histograms, exemplars: exemplars)
    }

    static func writeRequest(_ series: [[UInt8]], metadata: [[UInt8]] = []) -> [UInt8] {
        var m = PB()
        for s in series { m.bytesField(1, s) }
        for md in metadata { m.bytesField(3, md) }
        return m.bytes
    }
}

// MARK: - An independent protobuf walker, to cross-check protobuf-c's decoding.

struct Walker {
    let bytes: [UInt8]
    var i: Int
    let end: Int

    init(_ bytes: [UInt8], from: Int = 0, to: Int? = nil) {
        self.bytes = bytes
        i = from
        end = to ?? bytes.count
    }

    var atEnd: Bool { i >= end }

    mutating func varint() -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = bytes[i]
            i += 1
            v |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return v }
            shift += 7
        }
    }

    /// Next field: (number, wire type, sub-range for length-delimited, value otherwise).
    mutating func field() -> (number: Int, wire: Int, range: Range<Int>, value: UInt64) {
        let key = varint()
        let wire = Int(key & 7)
        let number = Int(key >> 3)
        switch wire {
        case 0:
            return (number, wire, i..<i, varint())
        case 1:
            var v: UInt64 = 0
            for k in 0..<8 { v |= UInt64(bytes[i + k]) << (8 * UInt64(k)) }
            i += 8
            return (number, wire, i..<i, v)
        case 2:
            let n = Int(varint())
            let r = i..<(i + n)
            i += n
            return (number, wire, r, 0)
        case 5:
            i += 4
            return (number, wire, i..<i, 0)
        default:
            fatalError("unsupported wire type \(wire)")
        }
    }

    struct Request {
        var series: [(labels: [([UInt8], [UInt8])], samples: [(ts: Int64, bits: UInt64)])] = []
        var metadataTypes: [UInt64] = []
    }

    /// WriteRequest → time series and metadata types, with proto3 defaults filled in.
    static func writeRequest(_ pb: [UInt8]) -> Request {
        var out = Request()
        var w = Walker(pb)
        while !w.atEnd {
            let f = w.field()
            if f.number == 1 {
                var labels: [([UInt8], [UInt8])] = []
                var samples: [(ts: Int64, bits: UInt64)] = []
                var s = Walker(pb, from: f.range.lowerBound, to: f.range.upperBound)
                while !s.atEnd {
                    let g = s.field()
                    if g.number == 1 {
                        var name: [UInt8] = [], value: [UInt8] = []
                        var l = Walker(pb, from: g.range.lowerBound, to: g.range.upperBound)
                        while !l.atEnd {
                            let h = l.field()
                            if h.number == 1 { name = Array(pb[h.range]) }
                            if h.number == 2 { value = Array(pb[h.range]) }
                        }
                        labels.append((name, value))
                    } else if g.number == 2 {
                        var ts: Int64 = 0, bits: UInt64 = 0
                        var m = Walker(pb, from: g.range.lowerBound, to: g.range.upperBound)
                        while !m.atEnd {
                            let h = m.field()
                            if h.number == 1 { bits = h.value }
                            if h.number == 2 { ts = Int64(bitPattern: h.value) }
                        }
                        samples.append((ts, bits))
                    }
                }
                out.series.append((labels, samples))
            } else if f.number == 3 {
                var type: UInt64 = 0
                var m = Walker(pb, from: f.range.lowerBound, to: f.range.upperBound)
                while !m.atEnd {
                    let h = m.field()
                    if h.number == 1 { type = h.value }
                }
                out.metadataTypes.append(type)
            }
        }
        return out
    }

    /// The samples of a request as canonical (key, timestamp, bits) triples, keys built
    /// from the labels in wire order (the fixtures' labels are sorted).
    static func flatSamples(_ req: Request) -> [Flat] {
        var out: [Flat] = []
        for s in req.series {
            var key: [UInt8] = []
            for (n, v) in s.labels {
                appendUVarint(UInt64(n.count), to: &key)
                key += n
                appendUVarint(UInt64(v.count), to: &key)
                key += v
            }
            for x in s.samples { out.append(Flat(key: key, timestamp: x.ts, bits: x.bits)) }
        }
        return out
    }
}
