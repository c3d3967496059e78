/// Two pages decoded in one loop, a row of each per turn, for the seal.
///
/// A page's rows form two serial chains: the bit position (each row's header says where
/// the next begins) and, under linear prediction, the values (each prediction is a
/// subtraction and an addition in Double on the previous two values). perf put the
/// single-page decoder's time on those latencies, not on its instructions; the rows of
/// two pages are independent, so taking them in turns lets the CPU run both chains at
/// once. Output is exactly `decode`'s for each page (PageDecodeEquivalenceTests); the
/// steps are `decode`'s own (PageCodec+Decode.swift).
extension PageCodec {
    /// Decodes two encoded full pages (`DensePage.rows` rows each) into `first` and
    /// `second`, as `decode(_:rows:into:)` does each.
    static func decodePair(_ a: UnsafeRawBufferPointer, into first: DensePage,
                           _ b: UnsafeRawBufferPointer, into second: DensePage) {
        withUnsafeTemporaryAllocation(byteCount: 2 * paddedBytes, alignment: 8) { padded in
            let base = padded.baseAddress!
            guard var x = PageRows(a, padded: base, into: first) else {
                decode(b, rows: DensePage.rows, into: second)
                return
            }
            guard var y = PageRows(b, padded: base + paddedBytes, into: second) else {
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

    /// Copies the page into `padded` (`PageCodec.paddedBytes` bytes) and decodes its
    /// first row; nil when no row is present (nothing to write).
    @inline(__always)
    init?(_ bytes: UnsafeRawBufferPointer, padded base: UnsafeMutableRawPointer, into page: DensePage) {
        guard let (present, linear) = PageCodec.copyPadded(bytes, rows: DensePage.rows, to: base) else { return nil }
        bits = BitWindow(UnsafeRawPointer(base))
        self.linear = linear
        self.page = page
        mask = present
        let row = mask.trailingZeroBitCount
        mask &= mask &- 1
        (p1, tag) = PageCodec.readFirstRow(&bits)
        p2 = p1
        page.tags[row] = tag
        page.values[row] = p1
    }

    /// Decodes the next present row (`mask` not empty).
    @inline(__always)
    mutating func step() {
        let row = mask.trailingZeroBitCount
        mask &= mask &- 1
        let predicted = PageCodec.predict(linear: linear && !secondRow, p1, p2)
        secondRow = false
        let value = PageCodec.readRow(&bits, predicted: predicted, tag: &tag, lead: &lead, width: &width)
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
