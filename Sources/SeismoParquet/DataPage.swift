/// A decompressed v1 data page body and the level decoding shared by all
/// column types.
struct DataPage {
    let body: [UInt8]
    let start: Int
    let end: Int
    /// File offset that `body[0]` stands for (exact for uncompressed pages,
    /// the page body's start for decompressed ones).
    let bodyOffset: Int64
    let numValues: Int
    let encoding: Int32
    let levelEncoding: Int32
    let optional: Bool
    let path: String
    var offsetsAreApproximate = false

    func error(at position: Int, _ message: String, kind: ParquetError.Kind = .corruptData) -> ParquetError {
        let offset = offsetsAreApproximate ? bodyOffset : bodyOffset + Int64(position)
        return ParquetError(kind, path: path, offset: offset, message)
    }

    /// Splits the body into definition levels and values. For a REQUIRED
    /// column every value is present and `levels` is nil.
    func definitionLevels() throws -> (levels: [UInt8]?, nonNull: Int, valuesStart: Int) {
        guard optional else { return (nil, numValues, start) }
        guard levelEncoding == Encoding.rle else {
            throw error(at: start, "definition level encoding \(levelEncoding) (only RLE)", kind: .unsupported)
        }
        // v1 pages prefix the levels with their byte length (u32 LE).
        guard end - start >= 4 else { throw error(at: start, "page too short for the definition level length") }
        let length = Int(body[start]) | Int(body[start + 1]) << 8 | Int(body[start + 2]) << 16 | Int(body[start + 3]) << 24
        guard length <= end - start - 4 else { throw error(at: start, "definition levels of \(length) bytes exceed the page") }
        var levels: [UInt8] = []
        try RLEHybrid.decode(body, start: start + 4, end: start + 4 + length, bitWidth: 1, count: numValues,
                             fileOffset: offsetsAreApproximate ? bodyOffset - Int64(start) : bodyOffset, path: path, into: &levels)
        var nonNull = 0
        for l in levels { nonNull &+= Int(l) }
        return (levels, nonNull, start + 4 + length)
    }
}

extension DataPage {
    /// The `count` DOUBLE values starting at `valuesStart`, as PLAIN bytes (8 LE bytes
    /// each) plus where they start: a PLAIN page's own body, or a BYTE_STREAM_SPLIT
    /// page's streams joined back into a new buffer. One decoder then serves both.
    func plainDoubleBytes(valuesStart: Int, count: Int) throws -> (bytes: [UInt8], start: Int) {
        switch encoding {
        case Encoding.plain:
            guard count <= (end - valuesStart) / 8 else { throw error(at: valuesStart, "PLAIN values end early") }
            return (body, valuesStart)
        case Encoding.byteStreamSplit:
            // The spec sizes each of the 8 streams by the page's non-null value count.
            guard count <= (end - valuesStart) / 8 else { throw error(at: valuesStart, "BYTE_STREAM_SPLIT streams end early") }
            var joined = [UInt8](repeating: 0, count: 8 * count)
            body.withUnsafeBytes { src in
                joined.withUnsafeMutableBytes { dst in
                    for k in 0..<8 {
                        let stream = valuesStart + k * count
                        for j in 0..<count { dst[8 * j + k] = src[stream + j] }
                    }
                }
            }
            return (joined, 0)
        default:
            throw error(at: start, "DOUBLE encoding \(encoding) (only PLAIN and BYTE_STREAM_SPLIT; write without dictionary)",
                        kind: .unsupported)
        }
    }
}

extension DataPage {
    /// Like `plainDoubleBytes`, for the values of a series column: an OPTIONAL INT64
    /// column (whole-number series, DELTA_BINARY_PACKED or PLAIN) comes back as the
    /// PLAIN bytes of the same values as doubles, which is exact below 2^53 and what the
    /// writer started from.
    func seriesValueBytes(valuesStart: Int, count: Int, integer: Bool) throws -> (bytes: [UInt8], start: Int) {
        guard integer else { return try plainDoubleBytes(valuesStart: valuesStart, count: count) }
        var ints: [Int64] = []
        try appendInt64Values(valuesStart: valuesStart, count: count, to: &ints)
        var out = [UInt8](repeating: 0, count: 8 * count)
        out.withUnsafeMutableBytes { raw in
            for (k, v) in ints.enumerated() {
                raw.storeBytes(of: Double(v).bitPattern.littleEndian, toByteOffset: 8 * k, as: UInt64.self)
            }
        }
        return (out, 0)
    }
}

extension DataPage {
    /// Appends the `count` INT64 values starting at `valuesStart` (PLAIN or
    /// DELTA_BINARY_PACKED) to `out`.
    func appendInt64Values(valuesStart: Int, count: Int, to out: inout [Int64]) throws {
        switch encoding {
        case Encoding.plain:
            guard count <= (end - valuesStart) / 8 else { throw error(at: valuesStart, "PLAIN values end early") }
            body.withUnsafeBytes { raw in
                for k in 0..<count {
                    out.append(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: valuesStart + 8 * k, as: Int64.self)))
                }
            }
        case Encoding.deltaBinaryPacked:
            try DeltaBinaryPacked.decode(body, start: valuesStart, end: end, expectedCount: count,
                                         fileOffset: bodyOffset, path: path, into: &out)
        default:
            throw error(at: start, "INT64 encoding \(encoding) (only PLAIN and DELTA_BINARY_PACKED)", kind: .unsupported)
        }
    }
}
