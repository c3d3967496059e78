/// Column encoders and the multi-row-group footer used only by `ParquetStreamWriter`
/// (segment files need neither INT32 nor strings, and always have one row group).

enum StreamPhysicalType {
    static let int32: Int32 = 1
    static let byteArray: Int32 = 6
}

extension ColumnChunkWriter {
    /// A REQUIRED INT32 column, PLAIN: no definition levels at all.
    func writeRequiredInt32(_ values: [Int32], name: String) throws -> ChunkSummary {
        let start = output.position
        let pageRows = max(1, maxPageBytes / 4)
        var uncompressed: Int64 = 0
        var stored: Int64 = 0
        var row = 0
        repeat {
            let end = min(values.count, row + pageRows)
            body.removeAll(keepingCapacity: true)
            for v in values[row..<end] {
                withUnsafeBytes(of: v.littleEndian) { body.append(contentsOf: $0) }
            }
            let sizes = try flushPage(numValues: end - row, encoding: Encoding.plain)
            uncompressed += sizes.uncompressed
            stored += sizes.compressed
            row = end
        } while row < values.count
        var stats = ChunkStatistics()
        if let lo = values.min(), let hi = values.max() {
            stats.minValue = Array(plainBytes(UInt64(UInt32(bitPattern: lo))).prefix(4))
            stats.maxValue = Array(plainBytes(UInt64(UInt32(bitPattern: hi))).prefix(4))
        }
        return ChunkSummary(
            physicalType: StreamPhysicalType.int32, encodings: [Encoding.plain, Encoding.rle], name: name,
            codec: codec, numValues: Int64(values.count), totalUncompressedSize: uncompressed,
            totalCompressedSize: stored, dataPageOffset: start, statistics: stats)
    }

    /// An OPTIONAL BYTE_ARRAY (UTF-8) column, PLAIN: u32 length + bytes per present value.
    /// No min/max statistics: byte order is not what most users expect of text, and
    /// nothing prunes on this column.
    func writeOptionalStrings(_ values: [String?], name: String) throws -> ChunkSummary {
        let start = output.position
        var uncompressed: Int64 = 0
        var stored: Int64 = 0
        var nulls: Int64 = 0
        var presence = [UInt16](repeating: 0, count: values.count)
        for (i, v) in values.enumerated() {
            if v != nil { presence[i] = 1 } else { nulls += 1 }
        }
        var row = 0
        try presence.withUnsafeBufferPointer { presence in
            repeat {
                let pageStart = row
                var bytes = 0
                while row < values.count {
                    let size = values[row].map { 4 + $0.utf8.count } ?? 0
                    if row > pageStart && bytes + size + (row + 1 - pageStart) / 4 + 16 > maxPageBytes { break }
                    bytes += size
                    row += 1
                }
                startOptionalPage(presence, pageStart..<row)
                for case let s? in values[pageStart..<row] {
                    withUnsafeBytes(of: UInt32(s.utf8.count).littleEndian) { body.append(contentsOf: $0) }
                    body.append(contentsOf: s.utf8)
                }
                let sizes = try flushPage(numValues: row - pageStart, encoding: Encoding.plain)
                uncompressed += sizes.uncompressed
                stored += sizes.compressed
            } while row < values.count
        }
        return ChunkSummary(
            physicalType: StreamPhysicalType.byteArray, encodings: [Encoding.plain, Encoding.rle], name: name,
            codec: codec, numValues: Int64(values.count), totalUncompressedSize: uncompressed,
            totalCompressedSize: stored, dataPageOffset: start, statistics: ChunkStatistics(nullCount: nulls))
    }
}

/// Serializes FileMetaData (fields in ascending id order) for any number of row groups:
/// sealed segments (one group) and streamed exports (many) share it.
func encodeFileMetaData(
    columns: [ParquetStreamColumn], groups: [(rows: Int64, chunks: [ChunkSummary])], numRows: Int64,
    keyValueMetadata: [(key: String, value: String)], createdBy: String
) -> [UInt8] {
    var w = ThriftCompactWriter(capacity: 64 + columns.count * 96 * max(1, groups.count))
    w.i32(1, 1)  // version
    w.listHeader(2, elementType: ThriftType.structure, count: columns.count + 1)
    w.beginListElement()  // root group
    w.string(4, "schema")
    w.i32(5, Int32(columns.count))
    w.endStruct()
    for c in columns {
        w.beginListElement()
        switch c.kind {
        case .timestampMillis:
            w.i32(1, PhysicalType.int64)
            w.i32(3, Repetition.required)
            w.string(4, c.name)
            w.i32(6, ConvertedType.timestampMillis)
            w.beginStruct(10)  // LogicalType
            w.beginStruct(8)  // TIMESTAMP
            w.bool(1, true)  // isAdjustedToUTC
            w.beginStruct(2)  // unit
            w.beginStruct(1)  // MILLIS
            w.endStruct()
            w.endStruct()
            w.endStruct()
            w.endStruct()
        case .int32:
            w.i32(1, StreamPhysicalType.int32)
            w.i32(3, Repetition.required)
            w.string(4, c.name)
        case .optionalString:
            w.i32(1, StreamPhysicalType.byteArray)
            w.i32(3, Repetition.optional)
            w.string(4, c.name)
            w.i32(6, 0)  // ConvertedType UTF8, for readers that predate LogicalType
            w.beginStruct(10)  // LogicalType
            w.beginStruct(1)  // STRING: empty StringType
            w.endStruct()
            w.endStruct()
        case .optionalDouble:
            w.i32(1, PhysicalType.double)
            w.i32(3, Repetition.optional)
            w.string(4, c.name)
        case .optionalInt64:
            // No logical type: a plain signed 64-bit integer to every reader.
            w.i32(1, PhysicalType.int64)
            w.i32(3, Repetition.optional)
            w.string(4, c.name)
        }
        w.endStruct()
    }
    w.i64(3, numRows)
    w.listHeader(4, elementType: ThriftType.structure, count: groups.count)
    for (ordinal, g) in groups.enumerated() {
        w.beginListElement()
        w.listHeader(1, elementType: ThriftType.structure, count: g.chunks.count)
        var totalUncompressed: Int64 = 0
        var totalCompressed: Int64 = 0
        // Borrowed from the array's storage: a copy of each summary (the `for in` loop's)
        // retained and released its arrays and name, ~5 % of a seal's CPU time in perf.
        g.chunks.withUnsafeBufferPointer { chunks in
            for i in chunks.indices {
                encodeColumnChunk(&w, chunks[i])
                totalUncompressed += chunks[i].totalUncompressedSize
                totalCompressed += chunks[i].totalCompressedSize
            }
        }
        w.i64(2, totalUncompressed)
        w.i64(3, g.rows)
        w.i64(5, g.chunks.first?.dataPageOffset ?? 4)  // file_offset: the group's first page
        w.i64(6, totalCompressed)
        w.i16(7, Int16(truncatingIfNeeded: ordinal))
        w.endStruct()
    }
    if !keyValueMetadata.isEmpty {
        w.listHeader(5, elementType: ThriftType.structure, count: keyValueMetadata.count)
        for kv in keyValueMetadata {
            w.beginListElement()
            w.string(1, kv.key)
            w.string(2, kv.value)
            w.endStruct()
        }
    }
    w.string(6, createdBy)
    w.listHeader(7, elementType: ThriftType.structure, count: columns.count)
    for _ in columns {
        w.beginListElement()
        w.beginStruct(1)  // TYPE_ORDER
        w.endStruct()
        w.endStruct()
    }
    w.stop()
    return w.bytes
}
