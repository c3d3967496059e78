/// Two pages decoded in one loop, a row of each per turn, for the seal.
///
/// A page's rows form two serial chains: the bit position (each row's header says where
/// the next begins) and, under linear prediction, the values (each prediction is a
/// subtraction and an addition in Double on the previous two values). perf put the
/// single-page decoder's time on those latencies, not on its instructions; the rows of
/// two pages are independent, so taking them in turns lets the CPU run both chains at
/// once. Output is exactly `decode`'s for each page (PageDecodeEquivalenceTests).
extension PageCodec {
    /// Decodes two encoded full pages (`DensePage.rows` rows each) into `first` and
    /// `second`, as `decode(_:rows:into:)` does each.
    static func decodePair(_ a: UnsafeRawBufferPointer, into first: DensePage,
                           _ b: UnsafeRawBufferPointer, into second: DensePage) {
        withUnsafeTemporaryAllocation(byteCount: 2 * (maxEncodedBytes + 8), alignment: 8) { padded in
            let base = padded.baseAddress!
            guard var x = PageRows(a, padded: base, into: first) else {
                decode(b, rows: DensePage.rows, into: second)
                return
            }
            guard var y = PageRows(b, padded: base + maxEncodedBytes + 8, into: second) else {
                x.finish()
                return
            }
            while x.mask != 0 && y.mask != 0 {
                x.step()
                y.step()
            }
            x.finish()
            y.finish()
        }
    }
}

/// The state of one page's decoding in `PageCodec.decodePair`: the rows left, the bit
/// reader and the previous values, as `decodeRows` keeps them.
private struct PageRows {
    var bits: BitWindow
    var mask: UInt64
    let linear: Bool
    var secondRow = true
    var p1: UInt64
    var p2: UInt64
    var tag: UInt16
    var lead: UInt64 = 0
    var width: UInt64 = 0
    let page: DensePage

    /// Copies the page into `padded` (`maxEncodedBytes + 8` bytes) and decodes its first
    /// row; nil when no row is present (nothing to write).
    @inline(__always)
    init?(_ bytes: UnsafeRawBufferPointer, padded base: UnsafeMutableRawPointer, into page: DensePage) {
        var at = 0
        let absent = PageCodec.readUVarint(bytes, at: &at)
        guard at < bytes.count else { return nil }
        let predictor = bytes[at]
        at += 1
        let present = ~absent & lowBits(DensePage.rows)
        guard present != 0 else { return nil }
        let length = Swift.min(bytes.count - at, PageCodec.maxEncodedBytes)
        base.copyMemory(from: bytes.baseAddress! + at, byteCount: length)
        // As in `decode`: zero bits past the end, and room for any row's longest read.
        (base + length).initializeMemory(as: UInt8.self, repeating: 0, count: PageCodec.maxEncodedBytes + 8 - length)
        bits = BitWindow(UnsafeRawPointer(base))
        linear = predictor == 1
        self.page = page
        mask = present
        let row = mask.trailingZeroBitCount
        mask &= mask &- 1
        let high = bits.read(32)
        p1 = high << 32 | bits.read(32)
        p2 = p1
        tag = UInt16(truncatingIfNeeded: bits.read(PageCodec.tagBits))
        page.tags[row] = tag
        page.values[row] = p1
    }

    /// Decodes the next present row (`mask` not empty); the row format as in `decodeRows`.
    @inline(__always)
    mutating func step() {
        let row = mask.trailingZeroBitCount
        mask &= mask &- 1
        let predicted: UInt64
        if linear && !secondRow {
            let last = Double(bitPattern: p1)
            predicted = (last + (last - Double(bitPattern: p2))).bitPattern
        } else {
            predicted = p1
        }
        secondRow = false
        var w = bits.window()
        if w & (1 << 63) != 0 {
            tag = UInt16(truncatingIfNeeded: (w >> 53) & 0x3FF)
            bits.position &+= 1 + PageCodec.tagBits
            w = bits.window()
        } else {
            bits.position &+= 1
            w &<<= 1
        }
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

    /// Decodes the rows left.
    @inline(__always)
    mutating func finish() {
        while mask != 0 { step() }
    }
}
