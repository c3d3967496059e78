/// DELTA_BINARY_PACKED for INT64 (Encodings.md). Seismo's timestamps step by a
/// constant 1000 ms, so every block is "min delta 1000, all widths 0": a few
/// bytes per 128 rows, against 8 bytes per row for PLAIN.
enum DeltaBinaryPacked {
    static let blockSize = 128
    static let miniblocksPerBlock = 4
    static let miniblockSize = blockSize / miniblocksPerBlock  // 32

    /// Worst case per value (64-bit widths) plus block overhead, for page sizing.
    static let maxBytesPerValue = 9

    /// Appends the stream of `values` to `out`. The seal encodes every integer sample of a
    /// segment here, so the block works on raw pointers (the array subscripts' checks and
    /// a zero fill per miniblock were a quarter of its instructions), and each block's
    /// deltas, minimum and bit widths come out of one pass.
    static func encode(_ values: UnsafeBufferPointer<Int64>, into out: inout [UInt8]) {
        appendVarint(UInt64(blockSize), to: &out)
        appendVarint(UInt64(miniblocksPerBlock), to: &out)
        appendVarint(UInt64(values.count), to: &out)
        guard let first = values.first else {
            appendZigzag(0, to: &out)
            return
        }
        appendZigzag(first, to: &out)
        guard values.count > 1 else { return }
        let v = values.baseAddress!
        withUnsafeTemporaryAllocation(of: Int64.self, capacity: blockSize) { block in
            let deltas = block.baseAddress!
            // A block's widths, then its packed miniblocks (at most 32 × 8 bytes each), are
            // gathered here and appended with one copy.
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: miniblocksPerBlock + blockSize * 8 + 8) { staging in
                let packed = staging.baseAddress!
                var i = 1
                while i < values.count {
                    let n = Swift.min(blockSize, values.count - i)
                    var minDelta = Int64.max
                    for k in 0..<n {
                        // Wrapping arithmetic is what the spec prescribes, so any
                        // Int64 sequence (even non-monotonic) round-trips.
                        let d = v[i + k] &- v[i + k - 1]
                        deltas[k] = d
                        minDelta = Swift.min(minDelta, d)
                    }
                    appendZigzag(minDelta, to: &out)
                    // The last miniblock is padded to full size with zeros (min delta − min delta).
                    for k in n..<blockSize { deltas[k] = minDelta }
                    var length = miniblocksPerBlock
                    for m in 0..<miniblocksPerBlock {
                        // Widths of unused trailing miniblocks are still written (as 0);
                        // their bodies are not.
                        guard m * miniblockSize < n else {
                            packed[m] = 0
                            continue
                        }
                        let miniblock = deltas + m * miniblockSize
                        var bits: UInt64 = 0
                        for k in 0..<miniblockSize { bits |= UInt64(bitPattern: miniblock[k] &- minDelta) }
                        let width = 64 - bits.leadingZeroBitCount
                        packed[m] = UInt8(width)
                        if width > 0 {
                            packMiniblock(miniblock, minus: minDelta, width: width, into: packed + length)
                            length += miniblockSize * width / 8
                        }
                    }
                    out.append(contentsOf: UnsafeBufferPointer(start: packed, count: length))
                    i += n
                }
            }
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
        var scratch: [UInt8] = []
        while produced < Int(total) {
            let minDelta = try r.zigzag()
            for m in 0..<widths.count { widths[m] = try r.byte() }
            for m in 0..<widths.count where produced < Int(total) {
                let width = Int(widths[m])
                guard width <= 64 else { throw r.error("miniblock bit width \(width) exceeds 64") }
                let base = r.pos
                try r.advance(perMiniblock * width / 8)
                let take = Swift.min(perMiniblock, Int(total) - produced)
                if width == 0 {
                    for _ in 0..<take {
                        value = value &+ minDelta
                        out.append(value)
                    }
                } else {
                    unpackMiniblock(data, base: base, bytes: perMiniblock * width / 8, width: width, count: take,
                                    scratch: &scratch) { packed in
                        value = value &+ minDelta &+ Int64(bitPattern: packed)
                        out.append(value)
                    }
                }
                produced += take
            }
        }
    }

    /// Writes the `miniblockSize` values `values[k] - minus`, `width` bits each, LSB first
    /// (the spec's bit-packing order), to `out`: `miniblockSize * width / 8` bytes, plus up
    /// to 8 bytes past them that later output overwrites (whole-word stores). Every
    /// difference fits in `width` bits by the choice of width.
    @inline(__always)
    static func packMiniblock(_ values: UnsafePointer<Int64>, minus: Int64, width: Int, into out: UnsafeMutablePointer<UInt8>) {
        var p = UnsafeMutableRawPointer(out)
        var acc: UInt64 = 0
        var bits = 0
        for k in 0..<miniblockSize {
            let x = UInt64(bitPattern: values[k] &- minus)
            acc |= x &<< UInt64(bits)
            bits += width
            if bits >= 64 {
                p.storeBytes(of: acc.littleEndian, as: UInt64.self)
                p += 8
                bits -= 64
                // The bits of x that did not fit (none when bits == 0: x ended the word).
                acc = bits == 0 ? 0 : x &>> UInt64(width - bits)
            }
        }
        if bits > 0 { p.storeBytes(of: acc.littleEndian, as: UInt64.self) }
    }

    /// Calls `body` with the first `count` of the `width`-bit values packed in
    /// `data[base..<base + bytes]` (bounds checked by the caller). The miniblock is copied
    /// into `scratch` with 16 spare zero bytes so each value is one or two whole-word loads.
    @inline(__always)
    static func unpackMiniblock(_ data: [UInt8], base: Int, bytes: Int, width: Int, count: Int,
                                scratch: inout [UInt8], _ body: (UInt64) -> Void) {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: data[base..<(base + bytes)])
        scratch.append(contentsOf: repeatElement(0, count: 16))
        let mask: UInt64 = width == 64 ? .max : (1 &<< UInt64(width)) &- 1
        scratch.withUnsafeBytes { raw in
            var bit = 0
            for _ in 0..<count {
                let byte = bit >> 3
                let shift = UInt64(bit & 7)
                var x = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: byte, as: UInt64.self)) &>> shift
                if Int(shift) + width > 64 {
                    let high = UInt64(raw[byte + 8])
                    x |= high &<< (64 - shift)
                }
                body(x & mask)
                bit += width
            }
        }
    }
}

@inline(__always)
func appendZigzag(_ value: Int64, to out: inout [UInt8]) {
    appendVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)), to: &out)
}
