import CSeismoSnappy

/// Snappy *block* format (what remote write uses; never the framed stream format).
public enum Snappy {
    /// Decompresses one snappy block into `output`, replacing its contents and reusing its
    /// capacity. The declared length is checked against `maxDecodedBytes` before `output`
    /// grows, so a forged header cannot make us allocate.
    public static func decompress(_ input: UnsafeRawBufferPointer, maxDecodedBytes: Int, into output: inout [UInt8]) throws {
        guard let src = input.baseAddress?.assumingMemoryBound(to: CChar.self), input.count > 0 else {
            throw WireError.malformed("snappy: corrupt input (empty block)")
        }
        var declared = 0
        guard snappy_uncompressed_length(src, input.count, &declared) == SNAPPY_OK else {
            throw WireError.malformed("snappy: corrupt input (bad length header, \(input.count) bytes)")
        }
        guard declared <= maxDecodedBytes else {
            throw WireError.tooLarge("snappy: decoded length \(declared) exceeds limit \(maxDecodedBytes)")
        }
        // Size the buffer without touching the bytes we keep: grow with zeros only when
        // the previous request was smaller.
        if output.count > declared {
            output.removeLast(output.count - declared)
        } else if output.count < declared {
            output.append(contentsOf: repeatElement(0, count: declared - output.count))
        }
        if declared == 0 {
            // A valid block for an empty input is just the length header; anything
            // after it is garbage.
            guard snappy_validate_compressed_buffer(src, input.count) == SNAPPY_OK else {
                throw WireError.malformed("snappy: corrupt input (\(input.count) bytes)")
            }
            return
        }
        var produced = declared
        let status = output.withUnsafeMutableBufferPointer { out in
            out.withMemoryRebound(to: CChar.self) { snappy_uncompress(src, input.count, $0.baseAddress, &produced) }
        }
        guard status == SNAPPY_OK, produced == declared else {
            output.removeAll(keepingCapacity: true)
            throw WireError.malformed("snappy: corrupt input (\(input.count) bytes, declared \(declared) decoded)")
        }
    }

    /// Compresses `input` into one snappy block.
    public static func compress(_ input: [UInt8]) -> [UInt8] {
        var capacity = snappy_max_compressed_length(input.count)
        var out = [UInt8](repeating: 0, count: capacity)
        let dummy: CChar = 0
        let status = input.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                dst.withMemoryRebound(to: CChar.self) { dstC in
                    src.withMemoryRebound(to: CChar.self) { srcC in
                        withUnsafePointer(to: dummy) { empty in
                            snappy_compress(srcC.baseAddress ?? empty, input.count, dstC.baseAddress, &capacity)
                        }
                    }
                }
            }
        }
        precondition(status == SNAPPY_OK, "snappy_compress failed with a buffer of max_compressed_length")
        out.removeLast(out.count - capacity)
        return out
    }
}

extension Snappy {
    /// The snappy entry every remote-write decoder shares: refuse a body over
    /// `limits.maxCompressedBytes` (413, `body_size`), uncompress it into the decoder's
    /// `scratch` (declared length checked first, see `decompress`) and run `decode` on
    /// the result. An empty body reaches `decode` as an empty buffer, so each protocol
    /// keeps its own answer to it (1.0: an empty request; 2.0: no `symbols[0]`).
    ///
    /// Afterwards `scratch` is dropped if one large request grew it past
    /// `DecodeArena.retainBytes`, so it does not pin that memory until the next one.
    static func decodeBody<R>(_ body: UnsafeRawBufferPointer, limits: WireLimits, scratch: inout [UInt8],
                              _ decode: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard body.count <= limits.maxCompressedBytes else {
            throw WireError.tooLarge("snappy: body of \(body.count) bytes exceeds limit \(limits.maxCompressedBytes)", limit: "body_size")
        }
        if body.count == 0 { return try decode(UnsafeRawBufferPointer(start: nil, count: 0)) }
        defer {
            if scratch.capacity > DecodeArena.retainBytes { scratch = [] }
        }
        try decompress(body, maxDecodedBytes: limits.maxDecodedBytes, into: &scratch)
        return try scratch.withUnsafeBytes { try decode($0) }
    }
}
