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
extension PageCodec {
    /// Decodes an encoded page into `page`: every present row's tag and value. Absent
    /// rows are not written (the caller has cleared the page, or wants them kept).
    static func decode(_ bytes: UnsafeRawBufferPointer, rows: Int, into page: DensePage) {
        var at = 0
        let absent = readUVarint(bytes, at: &at)
        guard at < bytes.count else { return }
        let predictor = bytes[at]
        at += 1
        // Pages have at most `DensePage.rows` rows; the padded buffer is sized for them.
        let present = ~absent & lowBits(Swift.min(rows, DensePage.rows))
        guard present != 0 else { return }
        let length = Swift.min(bytes.count - at, maxEncodedBytes)
        withUnsafeTemporaryAllocation(byteCount: maxEncodedBytes + 8, alignment: 8) { padded in
            let base = padded.baseAddress!
            base.copyMemory(from: bytes.baseAddress! + at, byteCount: length)
            // Zero bits past the end, as `BitReader` yields there. A row consumes at most
            // 1 + 10 + 2 + 12 + 64 bits whatever the bytes say, so even a damaged page
            // stops inside this buffer: ≤ 74 + 15 × 89 bits, plus the 8 bytes a load takes.
            (base + length).initializeMemory(as: UInt8.self, repeating: 0, count: maxEncodedBytes + 8 - length)
            var bits = BitWindow(UnsafeRawPointer(base))
            if predictor == 1 {
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
        let high = bits.read(32)
        var p1 = high << 32 | bits.read(32)
        var tag = UInt16(truncatingIfNeeded: bits.read(tagBits))
        page.tags[row] = tag
        page.values[row] = p1
        var p2 = p1
        var second = true  // the linear predictor needs two previous values
        var lead: UInt64 = 0
        var width: UInt64 = 0
        while mask != 0 {
            row = mask.trailingZeroBitCount
            mask &= mask &- 1
            let predicted: UInt64
            if linear && !second {
                let last = Double(bitPattern: p1)
                predicted = (last + (last - Double(bitPattern: p2))).bitPattern
            } else {
                predicted = p1
            }
            second = false
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
            let value = predicted ^ (residual &<< (64 &- lead &- width))
            page.tags[row] = tag
            page.values[row] = value
            p2 = p1
            p1 = value
        }
    }
}
