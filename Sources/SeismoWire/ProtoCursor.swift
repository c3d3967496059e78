/// Why a protobuf message could not be read: the problem and the byte offset, from the
/// start of the decoded request, where it was found.
struct ProtoWireError: Error {
    var problem: String
    var offset: Int
}

/// The protobuf wire types (the low three bits of a field key).
enum WireType {
    static let varint: UInt8 = 0
    static let fixed64: UInt8 = 1
    static let lengthDelimited: UInt8 = 2
    static let fixed32: UInt8 = 5
}

/// A reading position inside one protobuf message, over bytes it does not own.
///
/// The wire rules are protobuf-c 1.4.1's, because the remote-write decoder must accept
/// and refuse exactly what the protobuf-c based decoder it replaced did (the
/// differential tests and the `rw1` fuzz target hold the two to that):
/// - a field key is at most 5 bytes; a first byte whose field bits are all zero is an
///   error, but a longer key that still works out to field 0 is an unknown field;
/// - a varint value is at most 10 bytes (the 10th may carry more than the one bit
///   that fits; the excess is dropped); a length prefix is at most 5 bytes and must
///   not run past the end of the enclosing message;
/// - groups (wire types 3 and 4) and wire types 6 and 7 are errors, even for unknown
///   fields — protobuf-c never supported groups.
///
/// Every read checks the bytes left first: a length past the end is an error, never
/// a read out of bounds.
struct ProtoCursor {
    private(set) var position: UnsafePointer<UInt8>
    let end: UnsafePointer<UInt8>
    /// Start of the whole request, for the offsets of error messages.
    let origin: UnsafePointer<UInt8>

    init(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, origin: UnsafePointer<UInt8>) {
        position = start
        self.end = end
        self.origin = origin
    }

    @inline(__always) var atEnd: Bool { position >= end }
    @inline(__always) var remaining: Int { end - position }

    func error(_ problem: String, at p: UnsafePointer<UInt8>? = nil) -> ProtoWireError {
        ProtoWireError(problem: problem, offset: (p ?? position) - origin)
    }

    /// Moves `n` bytes on; the caller has checked that many remain.
    @inline(__always)
    mutating func advance(_ n: Int) {
        position += n
    }

    /// The cursor's one varint loop, behind `key`, `varint` and `lengthDelimited`: the
    /// value of the base-128 bytes at `position` (not moving past them) and how many
    /// there are, or nil when none of the first `maxBytes` ends it (too long, or cut off
    /// by the end of the message; each caller words that error). Bits past the 64th are
    /// dropped, as protobuf-c drops them from a 10th byte. Callers pass at most
    /// `remaining`, so it never reads out of bounds. Always inlined (the decoder's hot
    /// path): each caller gets the loop it used to have written out, and the optional
    /// folds into its branch to the error.
    @inline(__always)
    private func peekVarint(maxBytes: Int) -> (value: UInt64, length: Int)? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        var i = 0
        while i < maxBytes {
            let b = position[i]
            value |= UInt64(b & 0x7F) &<< shift
            i += 1
            if b < 0x80 { return (value, i) }
            shift += 7
        }
        return nil
    }

    /// Reads a field key: (field number, wire type). Also checks that the wire type is
    /// one protobuf-c accepts, so callers only switch on the field number.
    @inline(__always)
    mutating func key() throws(ProtoWireError) -> (field: UInt32, wire: UInt8) {
        let b0 = position[0]
        if b0 & 0xF8 == 0 { throw error("field number 0") }
        let wire = b0 & 7
        let field: UInt32
        if b0 < 0x80 {
            field = UInt32(b0 >> 3)
            position += 1
        } else {
            guard let (value, length) = peekVarint(maxBytes: min(remaining, 5)) else {
                throw error("field key longer than 5 bytes or cut off")
            }
            // 5 bytes hold 35 bits; less the 3 wire-type bits, the field number fits.
            field = UInt32(truncatingIfNeeded: value >> 3)
            position += length
        }
        switch wire {
        case WireType.varint, WireType.fixed64, WireType.lengthDelimited, WireType.fixed32:
            return (field, wire)
        case 3, 4:
            throw error("group (wire type \(wire)) of field \(field): groups are not supported")
        default:
            throw error("wire type \(wire) of field \(field) does not exist")
        }
    }

    /// Reads a varint value: the low 64 bits of at most 10 bytes.
    @inline(__always)
    mutating func varint() throws(ProtoWireError) -> UInt64 {
        let b0 = position < end ? position[0] : 0x80
        if b0 < 0x80 {
            position += 1
            return UInt64(b0)
        }
        guard let (value, length) = peekVarint(maxBytes: min(remaining, 10)) else {
            throw error("varint longer than 10 bytes or cut off")
        }
        position += length
        return value
    }

    /// Reads 8 little-endian bytes.
    @inline(__always)
    mutating func fixed64() throws(ProtoWireError) -> UInt64 {
        guard remaining >= 8 else { throw error("64-bit value cut off") }
        let v = UInt64(littleEndian: UnsafeRawPointer(position).loadUnaligned(as: UInt64.self))
        position += 8
        return v
    }

    /// Reads a length prefix and returns the bytes it covers (moving past them).
    @inline(__always)
    mutating func lengthDelimited() throws(ProtoWireError) -> (start: UnsafePointer<UInt8>, end: UnsafePointer<UInt8>) {
        let prefixAt = position
        guard let (prefix, prefixLength) = peekVarint(maxBytes: min(remaining, 5)) else {
            throw error("length prefix longer than 5 bytes or cut off")
        }
        position += prefixLength
        let length = Int(truncatingIfNeeded: prefix)  // at most 35 bits
        guard length <= remaining else {
            throw error("length \(length) runs past the end of its message (\(remaining) left)", at: prefixAt)
        }
        let start = position
        position += length
        return (start, position)
    }

    /// Moves past the value of a field this decoder does not use.
    @inline(__always)
    mutating func skip(_ wire: UInt8) throws(ProtoWireError) {
        switch wire {
        case WireType.varint: _ = try varint()
        case WireType.fixed64: _ = try fixed64()
        case WireType.lengthDelimited: _ = try lengthDelimited()
        default:
            guard remaining >= 4 else { throw error("32-bit value cut off") }
            position += 4
        }
    }

    /// The error for a known field sent with another wire type than its declared one.
    func wrongWireType(_ message: StaticString, field: UInt32, _ wire: UInt8) -> ProtoWireError {
        error("\(message) field \(field) has wire type \(wire), not its declared type")
    }
}
