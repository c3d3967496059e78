/// Bit-level writer for `PageCodec`: bits go out most significant first, bytes in order.
struct BitWriter {
    private let base: UnsafeMutablePointer<UInt8>
    private var written = 0
    /// Bits not yet stored, right-aligned; `pending` of them (always < 32 between calls).
    private var accumulator: UInt64 = 0
    private var pending = 0

    init(base: UnsafeMutablePointer<UInt8>) {
        self.base = base
    }

    /// Appends the low `count` bits of `value` (0...64). Transparent, as `writeShort`:
    /// `@inline(__always)` was not honoured in `PageCodec.encode` (objdump: calls to both
    /// per row of every page frozen, ~1.3 % of the server's CPU at saturation in perf).
    @_transparent
    mutating func write(_ value: UInt64, _ count: Int) {
        if count > 32 {
            writeShort(value >> 32, count - 32)
            writeShort(value & 0xFFFF_FFFF, 32)
        } else {
            writeShort(value, count)
        }
    }

    /// Whole 32-bit words are stored at once (big-endian, so the byte order is the same as
    /// one byte at a time): the byte loop was the hot spot of freezing a page.
    @_transparent
    private mutating func writeShort(_ value: UInt64, _ count: Int) {
        accumulator = (accumulator << UInt64(count)) | (value & lowBits(count))
        pending += count
        if pending >= 32 {
            pending -= 32
            let word = UInt32(truncatingIfNeeded: accumulator >> UInt64(pending))
            UnsafeMutableRawPointer(base + written).storeBytes(of: word.bigEndian, as: UInt32.self)
            written += 4
        }
    }

    /// Pads the last byte with zeros; returns the bytes written.
    mutating func finish() -> Int {
        while pending >= 8 {
            pending -= 8
            base[written] = UInt8(truncatingIfNeeded: accumulator >> UInt64(pending))
            written += 1
        }
        if pending > 0 {
            base[written] = UInt8(truncatingIfNeeded: accumulator << UInt64(8 - pending))
            written += 1
            pending = 0
        }
        return written
    }
}

/// Reads what `BitWriter` wrote. Past the end it yields zero bits (frozen pages are
/// produced by this process, so that only happens with a bug, never with input).
struct BitReader {
    private let bytes: UnsafeRawBufferPointer
    private var next: Int
    private var accumulator: UInt64 = 0
    private var available = 0

    init(_ bytes: UnsafeRawBufferPointer, from offset: Int) {
        self.bytes = bytes
        next = offset
    }

    /// The next `count` bits (0...64) as an unsigned number. Transparent: `PageCodec`'s
    /// decoder is large enough that the optimizer stopped honouring `@inline(__always)`
    /// here, and called this per row.
    @_transparent
    mutating func read(_ count: Int) -> UInt64 {
        if count > 32 {
            let high = readShort(count - 32)
            return high << 32 | readShort(32)
        }
        return readShort(count)
    }

    /// The next `count` bits (0...32) without consuming them (`skip` does): lets a decoder
    /// take several short flags with one read and one branch.
    @inline(__always)
    mutating func peek(_ count: Int) -> UInt64 {
        refill(count)
        return (accumulator >> UInt64(available - count)) & lowBits(count)
    }

    /// Consumes `count` bits already seen by `peek(n)`, n >= count.
    @inline(__always)
    mutating func skip(_ count: Int) {
        available -= count
    }

    @inline(__always)
    private mutating func readShort(_ count: Int) -> UInt64 {
        refill(count)
        available -= count
        return (accumulator >> UInt64(available)) & lowBits(count)
    }

    /// Makes at least `count` (<= 32) bits available. Refills 32 bits at a time where the
    /// bytes allow (big-endian, matching the writer), a byte at a time near the end: the
    /// byte loop was the hot spot of sealing a head.
    @inline(__always)
    private mutating func refill(_ count: Int) {
        if available < count {
            if next + 4 <= bytes.count {
                let word = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: next, as: UInt32.self))
                accumulator = accumulator << 32 | UInt64(word)
                next += 4
                available += 32
            } else {
                refillNearEnd(count)
            }
        }
    }

    /// The byte loop, out of line: inlined at every read it made the decoder too large for
    /// the compiler, which then stopped inlining `read` itself.
    @inline(never)
    private mutating func refillNearEnd(_ count: Int) {
        while available < count {
            accumulator = accumulator << 8 | UInt64(next < bytes.count ? bytes[next] : 0)
            next += 1
            available += 8
        }
    }
}

/// A mask of the low `count` bits (0...63 set bits; 64 gives all).
@inline(__always)
func lowBits(_ count: Int) -> UInt64 {
    count >= 64 ? UInt64.max : (UInt64(1) << UInt64(count)) &- 1
}

/// A faster reader of what `BitWriter` wrote, for bytes followed by at least 8 readable
/// bytes (`PageCodec.decode` copies a page into such a buffer first): every read is one
/// unaligned 8-byte load at the bit position, with no refill state and no bounds check.
/// `BitReader`'s refill test and its byte loop near the end (hit on every page, as pages
/// are a few dozen bytes) were most of what the seal spent in the decoder outside the
/// format's own branches.
struct BitWindow {
    private let base: UnsafeRawPointer
    /// Bits consumed.
    var position = 0

    init(_ base: UnsafeRawPointer) {
        self.base = base
    }

    /// The stream from `position` on, left-aligned: at least the top 57 bits are the
    /// stream's (the load starts at the byte holding `position`).
    @inline(__always)
    func window() -> UInt64 {
        UInt64(bigEndian: base.loadUnaligned(fromByteOffset: position &>> 3, as: UInt64.self)) &<< UInt64(position & 7)
    }

    /// The next `count` bits (0...64) as an unsigned number; 0 for `count` 0.
    @inline(__always)
    mutating func read(_ count: Int) -> UInt64 {
        if count <= 57 {
            // Shifting by 1 then by 63 − count yields 0 for count 0 without a branch.
            let value = (window() &>> 1) &>> UInt64(63 - count)
            position &+= count
            return value
        }
        let high = window() &>> 32
        position &+= 32
        let low = window() &>> UInt64(96 - count)
        position &+= count - 32
        return high &<< UInt64(count - 32) | low
    }
}
