import SeismoModel

/// Errors from decoding an XOR chunk.
public enum XORChunkError: Error, Equatable, Sendable {
    /// The data ended before all samples announced by the header were read.
    case truncated
    /// A varint in the chunk is longer than 10 bytes or overflows 64 bits.
    case badVarint
}

/// Prometheus XOR ("Gorilla") chunk encoding, bit-identical with `tsdb/chunkenc/xor.go`
/// (Prometheus 2.42). `bytes` is what Prometheus puts in `prompb.Chunk.data`:
///
///     uint16 BE sample count | bit stream (MSB first, last byte zero-padded)
///
/// Sample 0: zigzag varint timestamp + 64 raw value bits. Sample 1: uvarint timestamp
/// delta + XOR value. Samples ≥ 2: delta-of-delta (`0` / `10`+14 / `110`+17 / `1110`+20 /
/// `1111`+64 bits) + XOR value. All timestamp arithmetic wraps like Go's int64/uint64.
public struct XORChunkEncoder {
    /// Header (2 bytes) followed by the bit stream.
    private var stream: [UInt8] = [0, 0]
    /// Bits still free in the last byte of `stream` (0: the next bit opens a new byte).
    private var freeBits = 0

    private var lastT: Int64 = 0
    private var lastTDelta: UInt64 = 0
    private var lastBits: UInt64 = 0
    /// Leading-zero count of the current XOR window; 0xff means "no window yet".
    private var leading: UInt8 = 0xff
    private var trailing: UInt8 = 0

    public private(set) var count: Int = 0

    public init() {}

    /// The chunk data: sample-count header plus the zero-padded bit stream.
    public var bytes: [UInt8] { stream }

    /// Appends one sample. At most 65535 samples fit in a chunk (the header is a uint16).
    public mutating func append(timestampMs t: Int64, valueBits v: UInt64) {
        precondition(count < Int(UInt16.max), "an XOR chunk holds at most 65535 samples")
        var tDelta: UInt64 = 0
        switch count {
        case 0:
            var varint: [UInt8] = []
            // Go binary.PutVarint: zigzag.
            appendUVarint(UInt64(bitPattern: (t << 1) ^ (t >> 63)), to: &varint)
            for b in varint { writeBits(UInt64(b), 8) }
            writeBits(v, 64)
        case 1:
            tDelta = UInt64(bitPattern: t &- lastT)
            var varint: [UInt8] = []
            appendUVarint(tDelta, to: &varint)
            for b in varint { writeBits(UInt64(b), 8) }
            writeValue(v)
        default:
            tDelta = UInt64(bitPattern: t &- lastT)
            let dod = Int64(bitPattern: tDelta &- lastTDelta)
            if dod == 0 {
                writeBits(0, 1)
            } else if Self.fits(dod, 14) {
                writeBits(0b10, 2)
                writeBits(UInt64(bitPattern: dod), 14)
            } else if Self.fits(dod, 17) {
                writeBits(0b110, 3)
                writeBits(UInt64(bitPattern: dod), 17)
            } else if Self.fits(dod, 20) {
                writeBits(0b1110, 4)
                writeBits(UInt64(bitPattern: dod), 20)
            } else {
                writeBits(0b1111, 4)
                writeBits(UInt64(bitPattern: dod), 64)
            }
            writeValue(v)
        }
        lastT = t
        lastBits = v
        lastTDelta = tDelta
        count += 1
        stream[0] = UInt8(truncatingIfNeeded: count >> 8)
        stream[1] = UInt8(truncatingIfNeeded: count)
    }

    /// Whether `x` lies in −(2^(n−1)−1) … 2^(n−1), the range of an n-bit dod bucket.
    @inline(__always)
    static func fits(_ x: Int64, _ n: Int) -> Bool {
        let half = Int64(1) << (n - 1)
        return x >= -(half - 1) && x <= half
    }

    private mutating func writeValue(_ v: UInt64) {
        let delta = v ^ lastBits
        if delta == 0 {
            writeBits(0, 1)
            return
        }
        var newLeading = UInt8(delta.leadingZeroBitCount)
        let newTrailing = UInt8(delta.trailingZeroBitCount)
        if newLeading >= 32 { newLeading = 31 }  // must fit in 5 bits
        if leading != 0xff && newLeading >= leading && newTrailing >= trailing {
            // `10`: reuse the previous window.
            writeBits(0b10, 2)
            writeBits(delta >> UInt64(trailing), 64 - Int(leading) - Int(trailing))
            return
        }
        leading = newLeading
        trailing = newTrailing
        // `11`: new window; 64 significant bits are written as 0 in the 6-bit field.
        writeBits(0b11, 2)
        writeBits(UInt64(newLeading), 5)
        let sigbits = 64 - Int(newLeading) - Int(newTrailing)
        writeBits(UInt64(sigbits), 6)
        writeBits(delta >> UInt64(newTrailing), sigbits)
    }

    /// Writes the low `n` bits of `value`, most significant first, leaving the buffer in the
    /// state Prometheus's `bstream` would: there, whole bytes go through `writeByte`, which
    /// always opens the next byte, so a write of whole bytes that starts on a byte boundary
    /// ends with one empty byte already appended. A chunk that ends right there carries that
    /// empty byte, and ours must too to be byte-identical.
    private mutating func writeBits(_ value: UInt64, _ n: Int) {
        guard n > 0 else { return }
        let aligned = freeBits == 0 || freeBits == 8
        var remaining = n
        while remaining > 0 {
            if freeBits == 0 {
                stream.append(0)
                freeBits = 8
            }
            let take = min(freeBits, remaining)
            let part = UInt8(truncatingIfNeeded: (value >> UInt64(remaining - take)) & ((1 << UInt64(take)) - 1))
            stream[stream.count - 1] |= part << UInt8(freeBits - take)
            freeBits -= take
            remaining -= take
        }
        if aligned && n % 8 == 0 {
            stream.append(0)
            freeBits = 8
        }
    }

    /// Cuts a series into XOR chunks of at most `maxSamplesPerChunk` samples (Prometheus's
    /// TSDB default is 120). `minTimeMs`/`maxTimeMs` are each chunk's first and last timestamp.
    public static func encodeChunks(timestampsMs: [Int64], valueBits: [UInt64], maxSamplesPerChunk: Int = 120)
        -> [(minTimeMs: Int64, maxTimeMs: Int64, data: [UInt8])]
    {
        precondition(timestampsMs.count == valueBits.count, "timestamps and values differ in length")
        let per = max(1, min(maxSamplesPerChunk, Int(UInt16.max)))
        var out: [(minTimeMs: Int64, maxTimeMs: Int64, data: [UInt8])] = []
        out.reserveCapacity((timestampsMs.count + per - 1) / per)
        var start = 0
        while start < timestampsMs.count {
            let end = min(start + per, timestampsMs.count)
            var enc = XORChunkEncoder()
            for i in start..<end { enc.append(timestampMs: timestampsMs[i], valueBits: valueBits[i]) }
            out.append((minTimeMs: timestampsMs[start], maxTimeMs: timestampsMs[end - 1], data: enc.bytes))
            start = end
        }
        return out
    }
}

/// Decoder for Prometheus XOR chunks (the inverse of `XORChunkEncoder`), following the
/// reader in `xor.go`: dod payloads above 2^(n−1) are sign-extended; a significant-bit
/// count of 0 means 64.
public struct XORChunkDecoder {
    private let data: [UInt8]
    private var bitPos: Int

    private init(_ data: [UInt8]) {
        self.data = data
        self.bitPos = 16
    }

    public static func decode(_ data: [UInt8]) throws -> [(Int64, UInt64)] {
        guard data.count >= 2 else { throw XORChunkError.truncated }
        let n = Int(data[0]) << 8 | Int(data[1])
        var r = XORChunkDecoder(data)
        var out: [(Int64, UInt64)] = []
        out.reserveCapacity(n)
        var t: Int64 = 0
        var tDelta: UInt64 = 0
        var v: UInt64 = 0
        var leading = 0
        var trailing = 0
        for i in 0..<n {
            switch i {
            case 0:
                let u = try r.readUVarint()
                t = Int64(bitPattern: u >> 1) ^ -Int64(bitPattern: u & 1)  // zigzag decode
                v = try r.readBits(64)
            case 1:
                tDelta = try r.readUVarint()
                t = t &+ Int64(bitPattern: tDelta)
                try r.readValue(&v, &leading, &trailing)
            default:
                var prefix = 0
                for _ in 0..<4 {
                    prefix <<= 1
                    if try r.readBits(1) == 0 { break }
                    prefix |= 1
                }
                var dod: Int64 = 0
                let size: Int
                switch prefix {
                case 0b0: size = 0
                case 0b10: size = 14
                case 0b110: size = 17
                case 0b1110: size = 20
                default: size = 64
                }
                if size == 64 {
                    dod = Int64(bitPattern: try r.readBits(64))
                } else if size > 0 {
                    var bits = try r.readBits(size)
                    if bits > (UInt64(1) << UInt64(size - 1)) { bits = bits &- (UInt64(1) << UInt64(size)) }
                    dod = Int64(bitPattern: bits)
                }
                tDelta = tDelta &+ UInt64(bitPattern: dod)
                t = t &+ Int64(bitPattern: tDelta)
                try r.readValue(&v, &leading, &trailing)
            }
            out.append((t, v))
        }
        return out
    }

    private mutating func readValue(_ v: inout UInt64, _ leading: inout Int, _ trailing: inout Int) throws {
        if try readBits(1) == 0 { return }  // same value
        if try readBits(1) == 1 {
            leading = Int(try readBits(5))
            var sig = Int(try readBits(6))
            if sig == 0 { sig = 64 }
            trailing = 64 - leading - sig
        }
        let sig = 64 - leading - trailing
        let bits = try readBits(sig)
        v ^= bits << UInt64(trailing)
    }

    private mutating func readUVarint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        for i in 0..<10 {
            let b = try readBits(8)
            if i == 9 && b > 1 { throw XORChunkError.badVarint }
            result |= (b & 0x7f) << shift
            if b < 0x80 { return result }
            shift += 7
        }
        throw XORChunkError.badVarint
    }

    /// Reads `n` (0…64) bits, most significant first.
    private mutating func readBits(_ n: Int) throws -> UInt64 {
        guard bitPos + n <= data.count * 8 else { throw XORChunkError.truncated }
        var result: UInt64 = 0
        var remaining = n
        while remaining > 0 {
            let byte = data[bitPos >> 3]
            let avail = 8 - (bitPos & 7)
            let take = min(avail, remaining)
            let part = (UInt64(byte) >> UInt64(avail - take)) & ((1 << UInt64(take)) - 1)
            result = (result << UInt64(take)) | part
            bitPos += take
            remaining -= take
        }
        return result
    }
}
