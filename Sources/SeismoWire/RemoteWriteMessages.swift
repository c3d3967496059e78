#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Readers for the messages nested in a remote-write 1.0 `WriteRequest` (schema:
/// proto/types.proto), on a `ProtoCursor`. Each reads one message body: proto3 scalars
/// are last-wins with zero defaults, unknown fields are skipped by wire type, and a
/// known field with another wire type than declared is an error (as in protobuf-c).
///
/// Exemplars and histograms are not stored, but they are checked to the same depth
/// protobuf-c unpacks them, because a body protobuf-c refused must still be refused.
enum RemoteWriteMessages {
    /// A label's name and value as byte ranges of the request.
    ///
    /// protobuf-c handed strings over as NUL-terminated copies and the old decoder
    /// measured them with `strlen`, so a string holding a NUL byte was cut there. The
    /// walker keeps that behaviour (`cutAtNUL`) so both decoders agree byte for byte;
    /// see `DifferentialTests` for the case.
    struct Label {
        var name: UnsafePointer<UInt8>
        var nameLength: Int
        var value: UnsafePointer<UInt8>
        var valueLength: Int
    }

    /// Length of a string up to its first NUL byte (what `strlen` saw on protobuf-c's copy).
    @inline(__always)
    static func cutAtNUL(_ start: UnsafePointer<UInt8>, _ length: Int) -> Int {
        guard length > 0, let nul = memchr(start, 0, length) else { return length }
        return UnsafeRawPointer(nul) - UnsafeRawPointer(start)
    }

    /// Label { string name = 1; string value = 2; }
    @inline(__always)
    static func label(_ c: inout ProtoCursor) throws(ProtoWireError) -> Label {
        var label = Label(name: CStrings.empty, nameLength: 0, value: CStrings.empty, valueLength: 0)
        while !c.atEnd {
            let (field, wire) = try c.key()
            switch field {
            case 1, 2:
                guard wire == WireType.lengthDelimited else { throw c.wrongWireType("Label", field: field, wire) }
                let (s, e) = try c.lengthDelimited()
                let n = cutAtNUL(s, e - s)
                if field == 1 {
                    label.name = s
                    label.nameLength = n
                } else {
                    label.value = s
                    label.valueLength = n
                }
            default:
                try c.skip(wire)
            }
        }
        return label
    }

    /// Sample { double value = 1; int64 timestamp = 2; } → (timestamp, value bits).
    @inline(__always)
    static func sample(_ c: inout ProtoCursor) throws(ProtoWireError) -> (timestamp: Int64, bits: UInt64) {
        var bits: UInt64 = 0
        var timestamp: Int64 = 0
        // How Prometheus writes a sample: 0x09, 8 value bytes, 0x10, timestamp varint.
        // Read that directly; anything else (or more after it) goes through the loop,
        // which gives the same last-wins result.
        if c.remaining >= 11 && c.position[0] == 0x09 && c.position[9] == 0x10 {
            bits = UInt64(littleEndian: UnsafeRawPointer(c.position + 1).loadUnaligned(as: UInt64.self))
            c.advance(10)
            timestamp = Int64(bitPattern: try c.varint())
        }
        while !c.atEnd {
            let (field, wire) = try c.key()
            switch field {
            case 1:
                guard wire == WireType.fixed64 else { throw c.wrongWireType("Sample", field: field, wire) }
                bits = try c.fixed64()
            case 2:
                guard wire == WireType.varint else { throw c.wrongWireType("Sample", field: field, wire) }
                timestamp = Int64(bitPattern: try c.varint())
            default:
                try c.skip(wire)
            }
        }
        return (timestamp, bits)
    }

    /// Exemplar { repeated Label labels = 1; double value = 2; int64 timestamp = 3; }
    static func checkExemplar(_ c: inout ProtoCursor) throws(ProtoWireError) {
        while !c.atEnd {
            let (field, wire) = try c.key()
            switch field {
            case 1:
                guard wire == WireType.lengthDelimited else { throw c.wrongWireType("Exemplar", field: field, wire) }
                let (s, e) = try c.lengthDelimited()
                var inner = ProtoCursor(s, e, origin: c.origin)
                _ = try label(&inner)
            case 2:
                guard wire == WireType.fixed64 else { throw c.wrongWireType("Exemplar", field: field, wire) }
                _ = try c.fixed64()
            case 3:
                guard wire == WireType.varint else { throw c.wrongWireType("Exemplar", field: field, wire) }
                _ = try c.varint()
            default:
                try c.skip(wire)
            }
        }
    }

    /// Histogram (proto/types.proto): scalar fields 1–7, 14, 15; repeated BucketSpan
    /// 8, 11; repeated sint64 9, 12 and repeated double 10, 13, each packed or not.
    static func checkHistogram(_ c: inout ProtoCursor) throws(ProtoWireError) {
        while !c.atEnd {
            let (field, wire) = try c.key()
            switch field {
            case 1, 4, 6, 14, 15:  // count_int, schema, zero_count_int, reset_hint, timestamp
                guard wire == WireType.varint else { throw c.wrongWireType("Histogram", field: field, wire) }
                _ = try c.varint()
            case 2, 3, 5, 7:  // count_float, sum, zero_threshold, zero_count_float
                guard wire == WireType.fixed64 else { throw c.wrongWireType("Histogram", field: field, wire) }
                _ = try c.fixed64()
            case 8, 11:  // negative_spans, positive_spans
                guard wire == WireType.lengthDelimited else { throw c.wrongWireType("Histogram", field: field, wire) }
                let (s, e) = try c.lengthDelimited()
                var inner = ProtoCursor(s, e, origin: c.origin)
                try checkBucketSpan(&inner)
            case 9, 12:  // negative_deltas, positive_deltas (sint64)
                if wire == WireType.varint {
                    _ = try c.varint()
                } else if wire == WireType.lengthDelimited {
                    let (s, e) = try c.lengthDelimited()
                    var packed = ProtoCursor(s, e, origin: c.origin)
                    while !packed.atEnd { _ = try packed.varint() }
                } else {
                    throw c.wrongWireType("Histogram", field: field, wire)
                }
            case 10, 13:  // negative_counts, positive_counts (double)
                if wire == WireType.fixed64 {
                    _ = try c.fixed64()
                } else if wire == WireType.lengthDelimited {
                    let at = c.position
                    let (s, e) = try c.lengthDelimited()
                    guard (e - s) % 8 == 0 else {
                        throw c.error("packed doubles of Histogram field \(field): \(e - s) bytes, not a multiple of 8", at: at)
                    }
                } else {
                    throw c.wrongWireType("Histogram", field: field, wire)
                }
            default:
                try c.skip(wire)
            }
        }
    }

    /// BucketSpan { sint32 offset = 1; uint32 length = 2; }
    static func checkBucketSpan(_ c: inout ProtoCursor) throws(ProtoWireError) {
        while !c.atEnd {
            let (field, wire) = try c.key()
            switch field {
            case 1, 2:
                guard wire == WireType.varint else { throw c.wrongWireType("BucketSpan", field: field, wire) }
                _ = try c.varint()
            default:
                try c.skip(wire)
            }
        }
    }

    /// MetricMetadata { MetricType type = 1; string metric_family_name = 2; string help = 4;
    /// string unit = 5; } → kind (low 32 bits of the enum varint, as protobuf-c stored
    /// it; values outside the known types read as unknown) and the strings.
    static func metadata(_ c: inout ProtoCursor) throws(ProtoWireError) -> (kind: UInt32, family: String, help: String, unit: String) {
        var kind: UInt32 = 0
        var family = "", help = "", unit = ""
        while !c.atEnd {
            let (field, wire) = try c.key()
            switch field {
            case 1:
                guard wire == WireType.varint else { throw c.wrongWireType("MetricMetadata", field: field, wire) }
                kind = UInt32(truncatingIfNeeded: try c.varint())
            case 2, 4, 5:
                guard wire == WireType.lengthDelimited else { throw c.wrongWireType("MetricMetadata", field: field, wire) }
                let (s, e) = try c.lengthDelimited()
                let text = String(decoding: UnsafeBufferPointer(start: s, count: cutAtNUL(s, e - s)), as: UTF8.self)
                if field == 2 { family = text } else if field == 4 { help = text } else { unit = text }
            default:
                try c.skip(wire)
            }
        }
        return (kind, family, help, unit)
    }
}
