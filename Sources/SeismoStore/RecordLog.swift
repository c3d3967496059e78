#if canImport(Glibc)
import Glibc
#endif
import SeismoModel

/// The framing shared by the WAL and the series catalog:
///
///     record := payload_length u32 LE | crc32c(payload) u32 LE | payload
///
/// A record is valid only if all of it is on disk and its checksum matches, so a torn
/// write at the tail (crash mid-append) is detected and cut off on recovery.
enum RecordLog {
    static let headerSize = 8
    /// Upper bound for a single record; anything larger in a header means corruption.
    static let maxRecordSize = 256 << 20

    /// Appends a framed record to `buffer`.
    static func frame(_ payload: UnsafeRawBufferPointer, into buffer: inout [UInt8]) {
        let length = UInt32(payload.count)
        let crc = CRC32C.checksum(payload)
        withUnsafeBytes(of: length.littleEndian) { buffer.append(contentsOf: $0) }
        withUnsafeBytes(of: crc.littleEndian) { buffer.append(contentsOf: $0) }
        buffer.append(contentsOf: payload)
    }

    /// Reserves a header in `buffer`; call `finish` after appending the payload.
    static func begin(_ buffer: inout [UInt8]) -> Int {
        let start = buffer.count
        buffer.append(contentsOf: [0, 0, 0, 0, 0, 0, 0, 0])
        return start
    }

    static func finish(_ buffer: inout [UInt8], recordStart: Int) {
        let payloadStart = recordStart + headerSize
        let length = UInt32(buffer.count - payloadStart)
        let crc = buffer.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[payloadStart...])) }
        buffer.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: length.littleEndian, toByteOffset: recordStart, as: UInt32.self)
            raw.storeBytes(of: crc.littleEndian, toByteOffset: recordStart + 4, as: UInt32.self)
        }
    }

    enum ScanEnd: Equatable {
        /// Every byte was part of a valid record.
        case clean
        /// The bytes from `offset` on do not form a valid record (torn tail or corruption).
        case invalid(offset: Int, reason: String)
    }

    /// Calls `body` with each valid record's payload, in order; stops at the first bad one.
    static func scan(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows -> ScanEnd {
        try bytes.withUnsafeBytes { raw -> ScanEnd in
            var offset = 0
            while offset < raw.count {
                switch read(raw, at: offset) {
                case .valid(let payload, let next):
                    try body(payload)
                    offset = next
                case .invalid(let reason, _):
                    return .invalid(offset: offset, reason: reason)
                }
            }
            return .clean
        }
    }

    enum Read {
        case valid(payload: UnsafeRawBufferPointer, next: Int)
        /// `next`: where the record ends by its header, when all of it is present (only
        /// the checksum failed), so a reader may try to carry on there.
        case invalid(reason: String, next: Int?)
    }

    /// The record starting at `offset` (< raw.count).
    static func read(_ raw: UnsafeRawBufferPointer, at offset: Int) -> Read {
        guard raw.count - offset >= headerSize else {
            return .invalid(reason: "truncated record header", next: nil)
        }
        let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        let crc = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
        guard length <= maxRecordSize else {
            return .invalid(reason: "record length \(length) out of range", next: nil)
        }
        guard raw.count - offset - headerSize >= length else {
            return .invalid(reason: "truncated record (\(length) bytes declared)", next: nil)
        }
        let next = offset + headerSize + length
        let payload = UnsafeRawBufferPointer(rebasing: raw[(offset + headerSize)..<next])
        guard CRC32C.checksum(payload) == crc else {
            return .invalid(reason: "checksum mismatch", next: next)
        }
        return .valid(payload: payload, next: next)
    }
}

/// A cursor over a record payload.
struct PayloadReader {
    let raw: UnsafeRawBufferPointer
    var offset = 0

    init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }

    var isAtEnd: Bool { offset >= raw.count }

    mutating func u8() -> UInt8? {
        guard offset < raw.count else { return nil }
        defer { offset += 1 }
        return raw[offset]
    }

    mutating func uvarint() -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while offset < raw.count {
            let b = raw[offset]
            offset += 1
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
            if shift > 63 { return nil }
        }
        return nil
    }

    mutating func u64() -> UInt64? {
        guard raw.count - offset >= 8 else { return nil }
        defer { offset += 8 }
        return UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    mutating func bytes(_ n: Int) -> UnsafeRawBufferPointer? {
        guard n >= 0, raw.count - offset >= n else { return nil }
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + n)])
    }

    mutating func string() -> String? {
        // Compared as UInt64 first: a damaged length of 2^63 or more would trap in Int().
        guard let n = uvarint(), n <= UInt64(raw.count - offset), let b = bytes(Int(n)) else { return nil }
        return String(decoding: b, as: UTF8.self)
    }
}

@inline(__always)
func appendU64(_ v: UInt64, to out: inout [UInt8]) {
    withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
}

func appendString(_ s: String, to out: inout [UInt8]) {
    appendUVarint(UInt64(s.utf8.count), to: &out)
    out.append(contentsOf: s.utf8)
}

/// The samples of a WAL sample record (storage-format §3). Two payload types:
///
///     0x01 { uvarint(id) u64le(timestamp_ms) u64le(value_bits) } …          (before 2026-12-01)
///     0x02 { zigzag-uvarint(id − previous id) zigzag-uvarint(ts − previous ts) u64le(value_bits) } …
///
/// In 0x02 the first sample's "previous" id and timestamp are 0. Prometheus sends one
/// scrape's samples together, so timestamps repeat and ids climb in small steps: most
/// samples take 1 + 1 + 8 bytes instead of ~19, which is less to copy into the page
/// cache and to fsync per request. Replay reads both types.
enum WALSamples {
    static let plainRecord: UInt8 = 1
    static let deltaRecord: UInt8 = 2

    /// Writes samples of one 0x02 payload straight into memory the caller has reserved
    /// (`maxBytes` per sample), because this runs once per ingested sample.
    struct DeltaWriter {
        /// An id delta takes at most 5 varint bytes, a timestamp delta 10.
        static let maxBytes = 5 + 10 + 8
        private var previousId: Int64 = 0
        private var previousTimestamp: Int64 = 0

        /// Writes the entry at `p` and returns its length.
        @inline(__always)
        mutating func write(id: UInt32, timestampMs: Int64, valueBits: UInt64, at p: UnsafeMutableRawPointer) -> Int {
            var n = Self.storeVarint(zigzag(Int64(id) &- previousId), at: p)
            n += Self.storeVarint(zigzag(timestampMs &- previousTimestamp), at: p + n)
            p.storeBytes(of: valueBits.littleEndian, toByteOffset: n, as: UInt64.self)
            previousId = Int64(id)
            previousTimestamp = timestampMs
            return n + 8
        }

        @inline(__always)
        private static func storeVarint(_ value: UInt64, at p: UnsafeMutableRawPointer) -> Int {
            var v = value
            var n = 0
            while v >= 0x80 {
                p.storeBytes(of: UInt8(truncatingIfNeeded: v) | 0x80, toByteOffset: n, as: UInt8.self)
                v >>= 7
                n += 1
            }
            p.storeBytes(of: UInt8(truncatingIfNeeded: v), toByteOffset: n, as: UInt8.self)
            return n + 1
        }
    }

    /// The smallest entry of either type, for estimates.
    static let minimumEntryBytes = 10

    /// Number of samples in a sample-record payload (type byte included), or nil if it is
    /// not one: unknown type, a truncated sample, or a series id outside 32 bits.
    static func count(_ payload: UnsafeRawBufferPointer) -> Int? {
        var n = 0
        let valid = walk(payload) { _, _, _ in n += 1 }
        return valid ? n : nil
    }

    /// Calls `body(id, timestampMs, valueBits)` for each sample of a payload `count`
    /// accepted (on another payload it stops at the first bad sample).
    static func forEach(_ payload: UnsafeRawBufferPointer, _ body: (UInt32, Int64, UInt64) -> Void) {
        _ = walk(payload, body)
    }

    private static func walk(_ payload: UnsafeRawBufferPointer, _ body: (UInt32, Int64, UInt64) -> Void) -> Bool {
        var r = PayloadReader(payload)
        switch r.u8() {
        case plainRecord?:
            while !r.isAtEnd {
                guard let id = r.uvarint(), id <= UInt64(UInt32.max), let t = r.u64(), let bits = r.u64() else { return false }
                body(UInt32(id), Int64(bitPattern: t), bits)
            }
        case deltaRecord?:
            var id: Int64 = 0
            var t: Int64 = 0
            while !r.isAtEnd {
                guard let dId = r.uvarint(), let dT = r.uvarint(), let bits = r.u64() else { return false }
                id = id &+ unzigzag(dId)
                t = t &+ unzigzag(dT)
                guard id >= 0, id <= Int64(UInt32.max) else { return false }
                body(UInt32(id), t, bits)
            }
        default:
            return false
        }
        return true
    }
}

@inline(__always)
func zigzag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }

@inline(__always)
func unzigzag(_ v: UInt64) -> Int64 { Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1) }
