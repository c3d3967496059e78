/// Encoding of a frozen head page (`DensePage` → bytes and back), exact to the bit.
///
/// Format: two plain fields, then a bit stream (most significant bit first, the last byte
/// zero-padded):
///
///     uvarint  absent mask: bit i set = row i holds no sample. Only the page's real rows
///              count (the last page of a segment may be short), so a full page is one byte.
///     byte     value predictor: 0 = the previous value; 1 = linear extrapolation
///              p1 + (p1 − p2) in Double arithmetic from the previous two present values
///              (the previous value alone for the second one).
///     bits     per present row, in row order:
///              first row   64 bits value, 10 bits tag
///              other rows  tag:   `0` same as the previous row's, `1` + 10 bits tag
///                          value: r = value bits XOR predicted bits
///                                 `0`   r = 0
///                                 `10`  r's set bits fit the previous window: `width` bits
///                                 `11`  6 bits leading zeros, 6 bits width − 1, `width` bits
///
/// The residual is taken between bit patterns, so NaN payloads, stale markers, ±0 and
/// denormals come back as written whatever the prediction is: encoder and decoder compute
/// the same prediction from the same bits. Steady counters (Prometheus' most common
/// series) leave a few low residual bits under linear prediction; flat or stepping gauges
/// cost one bit under the previous-value one. Each page takes the shorter of the two.
enum PageCodec {
    /// Tags are 1...1000 (millisecond + 1).
    static let tagBits = 10
    /// Worst case of one encoded page: a 10-byte mask, the predictor byte, and per row
    /// 1 + 10 tag bits plus 2 + 12 + 64 value bits; plus 4 bytes of slack, as the bit
    /// writer stores whole 32-bit words.
    static let maxEncodedBytes = 11 + (DensePage.rows * (11 + 78) + 7) / 8 + 4

    /// Encodes the first `rows` rows of `page` (at least one present) into `out`, which
    /// must hold `maxEncodedBytes`. Returns the length.
    ///
    /// The predictor is picked by an estimate (a bit per zero residual, else the residual's
    /// significant bits plus its header) rather than by encoding the page twice: every
    /// page of every active series is frozen once, so this runs once per ~16 samples
    /// ingested, and the estimate picks the shorter encoding on steady counters and flat
    /// gauges alike (either choice decodes exactly).
    ///
    /// One pass over the page gathers the present rows and their residuals under both
    /// predictors (the estimate needs them anyway); the bits are then written from the
    /// chosen residuals, with each row's tag and residual headers in one write. The
    /// output is byte for byte that of `encode(_:rows:predictor:into:)` with
    /// `cheaperPredictor`, which stays as the plain reference (perf had the estimate, the
    /// second pass and the bit writer calls at ~6 % of the server's CPU at saturation).
    static func encode(_ page: DensePage, rows: Int, into out: UnsafeMutablePointer<UInt8>) -> Int {
        precondition(rows <= 64, "the absent mask is 64 bits")
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 3 * rows) { scratch in
            withUnsafeTemporaryAllocation(of: UInt16.self, capacity: rows) { tagScratch in
                encodeOnePass(page, rows: rows, into: out, scratch: scratch.baseAddress!, tags: tagScratch.baseAddress!)
            }
        }
    }

    /// `scratch`: 3 × rows words (first value, then residuals under each predictor);
    /// `tags`: rows entries.
    @inline(__always)
    private static func encodeOnePass(_ page: DensePage, rows: Int, into out: UnsafeMutablePointer<UInt8>,
                                      scratch: UnsafeMutablePointer<UInt64>, tags: UnsafeMutablePointer<UInt16>) -> Int {
        let previous = scratch + rows  // residual against the previous value
        let linear = scratch + 2 * rows  // residual against the linear extrapolation
        var absent: UInt64 = 0
        var n = 0
        var p1: UInt64 = 0
        var p2: UInt64 = 0
        var costPrevious = 0
        var costLinear = 0
        @inline(__always) func cost(_ residual: UInt64) -> Int {
            residual == 0 ? 1 : 14 + 64 - residual.leadingZeroBitCount - residual.trailingZeroBitCount
        }
        for row in 0..<rows {
            let tag = page.tags[row]
            if tag == 0 {
                absent |= 1 << UInt64(row)
                continue
            }
            let value = page.values[row]
            tags[n] = tag
            if n == 0 {
                scratch[0] = value
            } else {
                let r0 = value ^ p1
                let r1 = n >= 2 ? value ^ predict(1, p1, p2, n) : r0
                previous[n] = r0
                linear[n] = r1
                costPrevious += cost(r0)
                costLinear += cost(r1)
            }
            p2 = p1
            p1 = value
            n += 1
        }
        let predictor: UInt8 = costLinear < costPrevious ? 1 : 0
        let residuals = predictor == 1 ? linear : previous
        var at = writeUVarint(absent, to: out)
        out[at] = predictor
        at += 1
        var bits = BitWriter(base: out + at)
        guard n > 0 else { return at + bits.finish() }
        bits.write(scratch[0], 64)
        bits.write(UInt64(tags[0]), tagBits)
        var previousTag = tags[0]
        var windowLead = -1
        var windowWidth = 0
        for k in 1..<n {
            // Headers of the row in one write (at most 1 + 10 + 2 + 6 + 6 = 25 bits):
            // tag `0` or `1` + 10 bits, then residual `0`, `10`, or `11` + lead + width.
            let tag = tags[k]
            var header: UInt64
            var headerBits: Int
            if tag == previousTag {
                header = 0
                headerBits = 1
            } else {
                header = 1 << UInt64(tagBits) | (UInt64(tag) & lowBits(tagBits))
                headerBits = 1 + tagBits
            }
            previousTag = tag
            let residual = residuals[k]
            if residual == 0 {
                bits.write(header << 1, headerBits + 1)
                continue
            }
            let lead = residual.leadingZeroBitCount
            let trail = residual.trailingZeroBitCount
            if windowLead >= 0 && lead >= windowLead && trail >= 64 - windowLead - windowWidth {
                header = header << 2 | 0b10
                headerBits += 2
                bits.write(header, headerBits)
                bits.write(residual >> UInt64(64 - windowLead - windowWidth), windowWidth)
            } else {
                windowLead = lead
                windowWidth = 64 - lead - trail
                header = ((header << 2 | 0b11) << 6 | UInt64(lead)) << 6 | UInt64(windowWidth - 1)
                headerBits += 14
                bits.write(header, headerBits)
                bits.write(residual >> UInt64(trail), windowWidth)
            }
        }
        return at + bits.finish()
    }

    static func cheaperPredictor(_ page: DensePage, rows: Int) -> UInt8 {
        var costPrevious = 0
        var costLinear = 0
        var seen = 0
        var p1: UInt64 = 0
        var p2: UInt64 = 0
        @inline(__always) func cost(_ residual: UInt64) -> Int {
            residual == 0 ? 1 : 14 + 64 - residual.leadingZeroBitCount - residual.trailingZeroBitCount
        }
        for row in 0..<rows where page.tags[row] != 0 {
            let value = page.values[row]
            if seen > 0 {
                costPrevious += cost(value ^ predict(0, p1, p2, seen))
                costLinear += cost(value ^ predict(1, p1, p2, seen))
            }
            p2 = p1
            p1 = value
            seen += 1
        }
        return costLinear < costPrevious ? 1 : 0
    }

    static func encode(_ page: DensePage, rows: Int, predictor: UInt8, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var absent: UInt64 = 0
        for row in 0..<rows where page.tags[row] == 0 { absent |= 1 << UInt64(row) }
        var at = writeUVarint(absent, to: out)
        out[at] = predictor
        at += 1
        var bits = BitWriter(base: out + at)
        var seen = 0
        var previousTag: UInt16 = 0
        var p1: UInt64 = 0
        var p2: UInt64 = 0
        var windowLead = -1
        var windowWidth = 0
        for row in 0..<rows {
            let tag = page.tags[row]
            if tag == 0 { continue }
            let value = page.values[row]
            if seen == 0 {
                bits.write(value, 64)
                bits.write(UInt64(tag), tagBits)
            } else {
                if tag == previousTag {
                    bits.write(0, 1)
                } else {
                    bits.write(1, 1)
                    bits.write(UInt64(tag), tagBits)
                }
                let residual = value ^ predict(predictor, p1, p2, seen)
                if residual == 0 {
                    bits.write(0, 1)
                } else {
                    let lead = residual.leadingZeroBitCount
                    let trail = residual.trailingZeroBitCount
                    if windowLead >= 0 && lead >= windowLead && trail >= 64 - windowLead - windowWidth {
                        bits.write(0b10, 2)
                        bits.write(residual >> UInt64(64 - windowLead - windowWidth), windowWidth)
                    } else {
                        windowLead = lead
                        windowWidth = 64 - lead - trail
                        bits.write(0b11, 2)
                        bits.write(UInt64(lead), 6)
                        bits.write(UInt64(windowWidth - 1), 6)
                        bits.write(residual >> UInt64(trail), windowWidth)
                    }
                }
            }
            previousTag = tag
            p2 = p1
            p1 = value
            seen += 1
        }
        return at + bits.finish()
    }

    /// Calls `body(row, tag, valueBits)` for every present row of an encoded page, in
    /// row order. `rows` is the page's row count as given to `encode`. The reference
    /// decoder (reads use it); `decode` (PageCodec+Decode.swift) is the fast one.
    @inline(__always)
    static func forEachCell(_ bytes: UnsafeRawBufferPointer, rows: Int, _ body: (Int, UInt16, UInt64) -> Void) {
        var at = 0
        let absent = readUVarint(bytes, at: &at)
        guard at < bytes.count else { return }  // damaged: no predictor byte, so no rows
        let predictor = bytes[at]
        at += 1
        var bits = BitReader(bytes, from: at)
        var seen = 0
        var tag: UInt16 = 0
        var p1: UInt64 = 0
        var p2: UInt64 = 0
        var windowLead = 0
        var windowWidth = 0
        for row in 0..<rows where absent & (1 << UInt64(row)) == 0 {
            let value: UInt64
            if seen == 0 {
                value = bits.read(64)
                tag = UInt16(truncatingIfNeeded: bits.read(tagBits))
            } else {
                let predicted = predict(predictor, p1, p2, seen)
                // The tag flag and the residual's flags in one peek: with the tag unchanged
                // (nearly every row) `0` + `0`, `10` or `11` is the whole header. Peeking
                // past the stream's end sees zero bits, which are never consumed.
                var flags = bits.peek(3)
                if flags & 0b100 != 0 {
                    bits.skip(1)
                    tag = UInt16(truncatingIfNeeded: bits.read(tagBits))
                    flags = bits.peek(2)
                } else {
                    flags &= 0b11
                    bits.skip(1)
                }
                if flags & 0b10 == 0 {
                    bits.skip(1)
                    value = predicted
                } else {
                    bits.skip(2)
                    if flags & 0b01 != 0 {
                        let window = bits.read(12)
                        windowLead = Int(window >> 6)
                        windowWidth = Int(window & 0x3F) + 1
                    }
                    // On a damaged page lead + width may pass 64: the masking shift makes
                    // that a wrong value, as in `decode`, where a conversion would trap.
                    value = predicted ^ (bits.read(windowWidth) &<< UInt64(truncatingIfNeeded: 64 - windowLead - windowWidth))
                }
            }
            body(row, tag, value)
            p2 = p1
            p1 = value
            seen += 1
        }
    }

    @inline(__always)
    private static func predict(_ predictor: UInt8, _ p1: UInt64, _ p2: UInt64, _ seen: Int) -> UInt64 {
        guard predictor == 1, seen >= 2 else { return p1 }
        let last = Double(bitPattern: p1)
        return (last + (last - Double(bitPattern: p2))).bitPattern
    }

    @inline(__always)
    static func writeUVarint(_ value: UInt64, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var v = value
        var n = 0
        while v >= 0x80 {
            out[n] = UInt8(truncatingIfNeeded: v) | 0x80
            v >>= 7
            n += 1
        }
        out[n] = UInt8(v)
        return n + 1
    }

    @inline(__always)
    static func readUVarint(_ bytes: UnsafeRawBufferPointer, at offset: inout Int) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while offset < bytes.count {
            let b = bytes[offset]
            offset += 1
            value |= UInt64(b & 0x7F) << shift
            if b < 0x80 { break }
            shift += 7
        }
        return value
    }
}
