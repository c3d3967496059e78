/// The fast decoder of `PageCodec`'s format, for the seal and for thawing pages: the seal
/// decodes every page of the head once, and that was a third of its instructions.
///
/// It reads what `forEachCell` reads (which stays as the plain reference; reads use it),
/// differently:
/// - the page is copied into a zero-padded stack buffer, so the bit reader (`BitWindow`)
///   loads 8 bytes at any position without a bounds check or a byte loop at the end;
/// - the rows are visited as the set bits of the present mask, not tested one by one;
/// - each predictor has its own loop, so the linear prediction's test is not per row;
/// - a row's residual header is read from one window and turned into the bits consumed
///   and the width read with selects rather than branches: which header comes next is
///   data (a counter's residual is zero, or fits the window, or needs a new one, as its
///   increments vary), so branches on it are mispredicted often.
///
/// The steps shared with `decodePair` (PageCodec+DecodePair.swift) are below `decode`.
extension PageCodec {
    /// Bytes of a padded copy (`copyPadded`).
    static let paddedBytes = maxEncodedBytes + 8

    /// Decodes an encoded page into `page`: every present row's tag and value. Absent
    /// rows are not written (the caller has cleared the page, or wants them kept).
    static func decode(_ bytes: UnsafeRawBufferPointer, rows: Int, into page: DensePage) {
        withUnsafeTemporaryAllocation(byteCount: paddedBytes, alignment: 8) { padded in
            let base = padded.baseAddress!
            guard let (present, linear) = copyPadded(bytes, rows: rows, to: base) else { return }
            var bits = BitWindow(UnsafeRawPointer(base))
            if linear {
                decodeRows(&bits, present: present, linear: true, into: page)
            } else {
                decodeRows(&bits, present: present, linear: false, into: page)
            }
        }
    }

    @inline(__always)
    private static func decodeRows(_ bits: inout BitWindow, present: UInt64, linear: Bool, into page: DensePage) {
        var mask = present
        var row = mask.trailingZeroBitCount
        mask &= mask &- 1
        var (p1, tag) = readFirstRow(&bits)
        page.tags[row] = tag
        page.values[row] = p1
        var p2 = p1
        var second = true  // the linear predictor needs two previous values
        var lead: UInt64 = 0
        var width: UInt64 = 0
        while mask != 0 {
            row = mask.trailingZeroBitCount
            mask &= mask &- 1
            let predicted = predict(linear: linear && !second, p1, p2)
            second = false
            let value = readRow(&bits, predicted: predicted, tag: &tag, lead: &lead, width: &width)
            page.tags[row] = tag
            page.values[row] = value
            p2 = p1
            p1 = value
        }
    }

    /// Reads an encoded page's mask and predictor, and copies its bit stream to `base`
    /// (`paddedBytes` bytes) followed by zeros. Returns the rows present (of the first
    /// `rows`, at most `DensePage.rows`) and whether the predictor is linear; nil when
    /// no row is present.
    ///
    /// The zeros are the bits `BitReader` yields past the end. They also keep a damaged
    /// page inside the buffer: whatever the bytes say, the first row consumes 74 bits
    /// and each other at most 1 + 10 + 2 + 12 + 64 = 89, so the rows end before bit
    /// 74 + (DensePage.rows − 1) × 89, short of 8 × `maxEncodedBytes`; a load takes the
    /// 8 bytes from there, which the buffer's 8 bytes past `maxEncodedBytes` hold.
    /// Transparent: `decodePair` calls it twice, and with `@inline(__always)` the
    /// optimizer left the second call out of line.
    @_transparent
    static func copyPadded(_ bytes: UnsafeRawBufferPointer, rows: Int,
                           to base: UnsafeMutableRawPointer) -> (present: UInt64, linear: Bool)? {
        var at = 0
        let absent = readUVarint(bytes, at: &at)
        guard at < bytes.count else { return nil }
        let predictor = bytes[at]
        at += 1
        let present = ~absent & lowBits(Swift.min(rows, DensePage.rows))
        guard present != 0 else { return nil }
        let length = Swift.min(bytes.count - at, maxEncodedBytes)
        base.copyMemory(from: bytes.baseAddress! + at, byteCount: length)
        (base + length).initializeMemory(as: UInt8.self, repeating: 0, count: paddedBytes - length)
        return (present, predictor == 1)
    }

    /// The first present row: its value (64 bits) and its tag.
    @inline(__always)
    static func readFirstRow(_ bits: inout BitWindow) -> (value: UInt64, tag: UInt16) {
        let high = bits.read(32)
        let value = high << 32 | bits.read(32)
        return (value, UInt16(truncatingIfNeeded: bits.read(tagBits)))
    }

    /// The prediction of a row after the first: the previous value, or under the linear
    /// predictor (from the third row on) the previous value plus the last difference.
    @inline(__always)
    static func predict(linear: Bool, _ p1: UInt64, _ p2: UInt64) -> UInt64 {
        guard linear else { return p1 }
        let last = Double(bitPattern: p1)
        return (last + (last - Double(bitPattern: p2))).bitPattern
    }

    /// Reads a row after the first and returns its value: the tag flag (and new tag),
    /// the residual header and the residual. `tag` and the window (`lead`, `width`)
    /// carry over from row to row.
    @inline(__always)
    static func readRow(_ bits: inout BitWindow, predicted: UInt64, tag: inout UInt16,
                        lead: inout UInt64, width: inout UInt64) -> UInt64 {
        // Tag flag: `0` same tag (nearly every row), `1` + 10 bits.
        var w = bits.window()
        if w & (1 << 63) != 0 {
            tag = UInt16(truncatingIfNeeded: (w >> 53) & 0x3FF)
            bits.position &+= 1 + tagBits
            w = bits.window()
        } else {
            bits.position &+= 1
            w &<<= 1
        }
        // Residual header, now at the top of `w` (56 bits or more are the stream's):
        // `0` zero, `10` the previous window, `11` + 6 bits lead + 6 bits width − 1.
        let nonzero = w >> 63
        let fresh = (w >> 62) & nonzero
        let freshLead = (w >> 56) & 63
        let freshWidth = ((w >> 50) & 63) + 1
        lead = fresh != 0 ? freshLead : lead
        width = fresh != 0 ? freshWidth : width
        bits.position &+= Int(1 &+ nonzero &+ fresh &* 12)
        let residual = bits.read(Int(nonzero != 0 ? width : 0))
        // A damaged page may give lead + width > 64: the masking shift keeps that a
        // wrong value rather than a trap.
        return predicted ^ (residual &<< (64 &- lead &- width))
    }
}
