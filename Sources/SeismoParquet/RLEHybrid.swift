/// The RLE / bit-packed hybrid encoding (Encodings.md) used for definition
/// levels. Seismo's levels have bit width 1 (OPTIONAL, flat schema).
enum RLEHybrid {
    /// Encodes presence flags (0 → level 0 = null, else level 1) of `range` as
    /// width-1 levels, without the v1 length prefix.
    ///
    /// Metric columns have long runs (a series present for the whole hour, or
    /// absent for a stretch), which RLE runs encode in 2–4 bytes each; scattered
    /// nulls fall back to bit-packed groups of 8, so the worst case stays about
    /// one bit per row instead of the 2 bytes per row of RLE-only output.
    static func encodePresence(_ presence: UnsafeBufferPointer<UInt16>, _ range: Range<Int>, into out: inout [UInt8]) {
        let n = range.upperBound
        @inline(__always) func level(_ i: Int) -> UInt8 { presence[i] != 0 ? 1 : 0 }
        @inline(__always) func runLength(_ i: Int, cap: Int) -> Int {
            let v = level(i)
            var j = i + 1
            while j < n && j - i < cap && level(j) == v { j += 1 }
            return j - i
        }
        var i = range.lowerBound
        while i < n {
            let run = runLength(i, cap: Int.max)
            if run >= shortestRun {
                appendRun(length: run, level: level(i), into: &out)
                i += run
                continue
            }
            // Bit-packed runs hold whole groups of 8; only the page's last group
            // may run past `n`, and readers ignore that padding
            // because they know the page's value count. Stay literal until a
            // run long enough (16) to pay for switching back to RLE.
            let start = i
            var groups = 0
            repeat {
                i += 8
                groups += 1
            } while i < n && runLength(i, cap: 16) < 16
            appendVarint(UInt64(groups) << 1 | 1, to: &out)
            for g in 0..<groups {
                var byte: UInt8 = 0
                let base = start + g * 8
                for b in 0..<8 where base + b < n && level(base + b) == 1 { byte |= 1 << UInt8(b) }
                out.append(byte)
            }
            i = min(i, n)
        }
    }

    /// Runs shorter than this are bit-packed by `encodePresence`.
    static let shortestRun = 8

    /// One RLE run of width-1 `level` (0 or 1).
    @inline(__always)
    static func appendRun(length: Int, level: UInt8, into out: inout [UInt8]) {
        appendVarint(UInt64(length) << 1, to: &out)
        out.append(level)
    }

    /// Decodes `count` levels of `bitWidth` (1...8) from `data[start..<end]`,
    /// appending them to `out`. Throws on truncated or malformed runs.
    static func decode(
        _ data: [UInt8], start: Int, end: Int, bitWidth: Int, count: Int,
        fileOffset: Int64, path: String, into out: inout [UInt8]
    ) throws {
        precondition(bitWidth >= 1 && bitWidth <= 8)
        var r = ThriftCompactReader(data: data, start: start, end: end, fileOffset: fileOffset, path: path, errorKind: .corruptData)
        let maxValue = UInt8((1 << bitWidth) - 1)
        var produced = 0
        out.reserveCapacity(out.count + count)
        while produced < count {
            let header = try r.varint()
            if header & 1 == 0 {
                let runCount = header >> 1
                let value = try r.byte()  // ceil(bitWidth / 8) = 1 byte
                guard value <= maxValue else { throw r.error("RLE run value \(value) exceeds bit width \(bitWidth)") }
                let take = Int(min(runCount, UInt64(count - produced)))
                out.append(contentsOf: repeatElement(value, count: take))
                produced += take
            } else {
                let groups = header >> 1
                guard groups <= UInt64(r.remaining) else { throw r.error("bit-packed run of \(groups) groups exceeds the page") }
                let byteCount = Int(groups) * bitWidth
                let base = r.pos
                try r.advance(byteCount)
                let values = Int(groups) * 8
                let take = min(values, count - produced)
                for k in 0..<take {
                    let bit = k * bitWidth
                    // A value may straddle two bytes when bitWidth does not divide 8.
                    var v = UInt16(data[base + bit >> 3]) >> UInt16(bit & 7)
                    if (bit & 7) + bitWidth > 8 { v |= UInt16(data[base + bit >> 3 + 1]) << UInt16(8 - bit & 7) }
                    out.append(UInt8(truncatingIfNeeded: v) & maxValue)
                }
                produced += take
            }
        }
    }
}

@inline(__always)
func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
    var v = value
    while v >= 0x80 {
        out.append(UInt8(truncatingIfNeeded: v) | 0x80)
        v >>= 7
    }
    out.append(UInt8(v))
}
