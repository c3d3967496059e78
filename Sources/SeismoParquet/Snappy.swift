import CSeismoSnappy

/// Parquet's SNAPPY codec is the raw snappy *block* format applied to each page
/// body, with no framing (the framed/stream format would be unreadable).
enum SnappyBlock {
    /// Compresses `input` into `output` (replacing its contents), reusing its capacity.
    static func compress(_ input: [UInt8], into output: inout [UInt8]) {
        output.removeAll(keepingCapacity: true)
        if input.isEmpty {
            output.append(0)  // varint length 0: the snappy block of no bytes
            return
        }
        let bound = snappy_max_compressed_length(input.count)
        if output.count < bound { output.append(contentsOf: repeatElement(0, count: bound - output.count)) }
        var produced = bound
        let status = input.withUnsafeBytes { src in
            output.withUnsafeMutableBytes { dst in
                snappy_compress(
                    src.baseAddress!.assumingMemoryBound(to: CChar.self), input.count,
                    dst.baseAddress!.assumingMemoryBound(to: CChar.self), &produced)
            }
        }
        precondition(status == SNAPPY_OK, "snappy_compress failed with a max_compressed_length buffer")
        output.removeLast(output.count - produced)
    }

    /// Uncompresses a page body that must expand to exactly `expectedSize` bytes.
    static func uncompress(_ data: [UInt8], start: Int, count: Int, expectedSize: Int) -> [UInt8]? {
        guard count > 0, start >= 0, start + count <= data.count else { return nil }
        return data.withUnsafeBytes { all -> [UInt8]? in
            let src = (all.baseAddress! + start).assumingMemoryBound(to: CChar.self)
            var declared = 0
            guard snappy_uncompressed_length(src, count, &declared) == SNAPPY_OK, declared == expectedSize else { return nil }
            var ok = true
            let out = [UInt8](unsafeUninitializedCapacity: expectedSize) { buf, initialized in
                var produced = expectedSize
                let dst = buf.baseAddress.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: CChar.self) }
                if expectedSize == 0 {
                    initialized = 0
                    return
                }
                ok = snappy_uncompress(src, count, dst, &produced) == SNAPPY_OK && produced == expectedSize
                initialized = ok ? expectedSize : 0
            }
            return ok ? out : nil
        }
    }
}
