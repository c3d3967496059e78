/// DELTA_BINARY_PACKED for INT64 (Encodings.md). Seismo's timestamps step by a
/// constant 1000 ms, so every block is "min delta 1000, all widths 0": a few
/// bytes per 128 rows, against 8 bytes per row for PLAIN.
enum DeltaBinaryPacked {
    static let blockSize = 128
    static let miniblocksPerBlock = 4
    static let miniblockSize = blockSize / miniblocksPerBlock  // 32

    /// Worst case per value (64-bit widths) plus block overhead, for page sizing.
    static let maxBytesPerValue = 9

    static func encode(_ values: UnsafeBufferPointer<Int64>, into out: inout [UInt8]) {
        appendVarint(UInt64(blockSize), to: &out)
        appendVarint(UInt64(miniblocksPerBlock), to: &out)
        appendVarint(UInt64(values.count), to: &out)
        guard let first = values.first else {
            appendZigzag(0, to: &out)
            return
        }
        appendZigzag(first, to: &out)
        var deltas = [Int64](repeating: 0, count: blockSize)
        var i = 1
        while i < values.count {
            let n = min(blockSize, values.count - i)
            var minDelta = Int64.max
            for k in 0..<n {
                // Wrapping arithmetic is what the spec prescribes, so any
                // Int64 sequence (even non-monotonic) round-trips.
                let d = values[i + k] &- values[i + k - 1]
                deltas[k] = d
                minDelta = Swift.min(minDelta, d)
            }
            appendZigzag(minDelta, to: &out)
            var widths = [UInt8](repeating: 0, count: miniblocksPerBlock)
            for m in 0..<miniblocksPerBlock where m * miniblockSize < n {
                var bits: UInt64 = 0
                for k in (m * miniblockSize)..<Swift.min(n, (m + 1) * miniblockSize) {
                    bits |= UInt64(bitPattern: deltas[k] &- minDelta)
                }
                widths[m] = UInt8(64 - bits.leadingZeroBitCount)
            }
            // Widths of unused trailing miniblocks are still written (as 0);
            // their bodies are not.
            out.append(contentsOf: widths)
            for m in 0..<miniblocksPerBlock where m * miniblockSize < n {
                let width = Int(widths[m])
                if width == 0 { continue }
                var acc: UInt64 = 0
                var accBits = 0
                for k in (m * miniblockSize)..<((m + 1) * miniblockSize) {
                    // The last miniblock is padded to full size with zeros.
                    var v = k < n ? UInt64(bitPattern: deltas[k] &- minDelta) : 0
                    var left = width
                    while left > 0 {
                        let take = Swift.min(left, 64 - accBits)
                        let mask: UInt64 = take == 64 ? .max : (1 << UInt64(take)) - 1
                        acc |= (v & mask) << UInt64(accBits)
                        accBits += take
                        v = take == 64 ? 0 : v >> UInt64(take)
                        left -= take
                        while accBits >= 8 {
                            out.append(UInt8(truncatingIfNeeded: acc))
                            acc >>= 8
                            accBits -= 8
                        }
                    }
                }
            }
            i += n
        }
    }

    /// Decodes one DELTA_BINARY_PACKED stream starting at `start`, appending its
    /// values to `out`. `expectedCount` is what the page header promises.
    static func decode(
        _ data: [UInt8], start: Int, end: Int, expectedCount: Int,
        fileOffset: Int64, path: String, into out: inout [Int64]
    ) throws {
        var r = ThriftCompactReader(data: data, start: start, end: end, fileOffset: fileOffset, path: path, errorKind: .corruptData)
        let blockSize = try r.varint()
        let miniblocks = try r.varint()
        let total = try r.varint()
        guard blockSize > 0, blockSize % 128 == 0, blockSize <= 1 << 20,
              miniblocks > 0, blockSize % miniblocks == 0, blockSize / miniblocks >= 32, (blockSize / miniblocks) % 32 == 0
        else { throw r.error("bad DELTA_BINARY_PACKED header (block \(blockSize), miniblocks \(miniblocks))") }
        guard total == UInt64(expectedCount) else {
            throw r.error("DELTA_BINARY_PACKED holds \(total) values, the page promises \(expectedCount)")
        }
        var value = try r.zigzag()
        guard total > 0 else { return }
        out.reserveCapacity(out.count + Int(total))
        out.append(value)
        var produced = 1
        let perMiniblock = Int(blockSize / miniblocks)
        var widths = [UInt8](repeating: 0, count: Int(miniblocks))
        while produced < Int(total) {
            let minDelta = try r.zigzag()
            for m in 0..<widths.count { widths[m] = try r.byte() }
            for m in 0..<widths.count where produced < Int(total) {
                let width = Int(widths[m])
                guard width <= 64 else { throw r.error("miniblock bit width \(width) exceeds 64") }
                let base = r.pos
                try r.advance(perMiniblock * width / 8)
                let take = Swift.min(perMiniblock, Int(total) - produced)
                for k in 0..<take {
                    let packed = width == 0 ? 0 : readBits(data, base: base, bitOffset: k * width, width: width)
                    value = value &+ minDelta &+ Int64(bitPattern: packed)
                    out.append(value)
                }
                produced += take
            }
        }
    }

    /// Reads `width` bits LSB-first starting `bitOffset` bits after `base`.
    /// Bounds were checked by the caller for the whole miniblock.
    @inline(__always)
    private static func readBits(_ data: [UInt8], base: Int, bitOffset: Int, width: Int) -> UInt64 {
        var result: UInt64 = 0
        var got = 0
        var p = bitOffset
        while got < width {
            let shift = p & 7
            let take = Swift.min(8 - shift, width - got)
            let bits = (UInt64(data[base + p >> 3]) >> UInt64(shift)) & ((1 << UInt64(take)) - 1)
            result |= bits << UInt64(got)
            got += take
            p += take
        }
        return result
    }
}

@inline(__always)
func appendZigzag(_ value: Int64, to out: inout [UInt8]) {
    appendVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)), to: &out)
}
