public enum ParquetCodec: Sendable {
    case uncompressed
    case snappy
}

/// How DOUBLE values are laid out in a page (before the codec).
public enum ParquetDoubleEncoding: Sendable, Equatable {
    /// 8 little-endian bytes per value: every Parquet reader accepts it.
    case plain
    /// BYTE_STREAM_SPLIT: byte k of every value in stream k. Neighbouring samples of a
    /// series share sign, exponent and high mantissa bytes, so those streams become long
    /// runs that snappy compresses, where PLAIN interleaves them with the noisy low bytes
    /// (measured on the ingest benchmark's series: 2.63 against 4.27 bytes per sample).
    /// pyarrow, DuckDB, polars and Spark read it; fastparquet does not.
    case byteStreamSplit
}

/// One OPTIONAL DOUBLE series column. The buffers are borrowed for the duration
/// of `ParquetWriter.write` only (Seismo passes slices of its head buffers).
public struct ParquetDoubleColumn {
    public var name: String
    /// rowCount entries; only entries whose presence is non-zero are written.
    public var values: UnsafeBufferPointer<UInt64>  // IEEE-754 bit patterns
    public var presence: UnsafeBufferPointer<UInt16>  // 0 = null, anything else = present

    public init(name: String, values: UnsafeBufferPointer<UInt64>, presence: UnsafeBufferPointer<UInt16>) {
        self.name = name
        self.values = values
        self.presence = presence
    }
}

public struct ParquetWriteResult: Sendable, Equatable {
    /// Size of the whole file.
    public var bytes: Int
    /// Present (non-null) cells over all double columns, NaNs included.
    public var nonNullValues: Int
    /// Size of the Thrift FileMetaData (excluding the 8-byte length + magic trailer).
    public var footerBytes: Int

    public init(bytes: Int, nonNullValues: Int, footerBytes: Int) {
        self.bytes = bytes
        self.nonNullValues = nonNullValues
        self.footerBytes = footerBytes
    }
}

/// Writes Seismo's sealed-segment Parquet files: one row group, a REQUIRED
/// `timestamp` column (INT64 TIMESTAMP(MILLIS, UTC), DELTA_BINARY_PACKED) and
/// OPTIONAL DOUBLE columns (PLAIN or BYTE_STREAM_SPLIT, RLE definition levels) or,
/// with `integerColumns`, OPTIONAL INT64 columns (DELTA_BINARY_PACKED) for series whose
/// values are all whole numbers; data pages v1, no dictionary — the subset every
/// mainstream reader accepts.
public enum ParquetWriter {
    public static let timestampColumnName = "timestamp"
    public static let defaultMaxPageBytes = 1 << 20

    /// Writes a complete file at `path` (creating/truncating it); fsyncs it when `fsync` is true.
    /// `timestampsMs` strictly increasing. Throws ParquetError on I/O error or bad arguments.
    /// `maxPageBytes` bounds each page's uncompressed body (tests lower it to force several pages).
    /// A failed write leaves a partial file behind: write to a temporary name and rename.
    public static func write(
        path: String, timestampsMs: [Int64], columns: [ParquetDoubleColumn],
        keyValueMetadata: [(key: String, value: String)], createdBy: String,
        codec: ParquetCodec = .snappy, doubleEncoding: ParquetDoubleEncoding = .plain,
        integerColumns: Bool = false, fsync: Bool = true, maxPageBytes: Int = defaultMaxPageBytes
    ) throws -> ParquetWriteResult {
        for c in columns {
            guard c.values.count == timestampsMs.count, c.presence.count == timestampsMs.count else {
                throw ParquetError(.invalidArgument, path: path,
                                   "column \(c.name) has \(c.values.count) values and \(c.presence.count) presence flags for \(timestampsMs.count) rows")
            }
        }
        return try writeFile(
            path: path, timestampsMs: timestampsMs, names: columns.map(\.name), column: { columns[$0] },
            keyValueMetadata: keyValueMetadata, createdBy: createdBy, codec: codec, doubleEncoding: doubleEncoding,
            integerColumns: integerColumns, fsync: fsync, maxPageBytes: maxPageBytes)
    }

    /// Fills series column `index`'s buffers (one entry per row): `presence` arrives all
    /// zero (null); set the present rows' flag (non-zero) and value bits. Absent rows'
    /// values are not read.
    public typealias ColumnFill = (_ index: Int, _ values: UnsafeMutablePointer<UInt64>, _ presence: UnsafeMutablePointer<UInt16>) -> Void

    /// As `write(path:timestampsMs:columns:…)`, the series columns named `columnNames`
    /// each produced by `fill` just before it is encoded, into two row-sized buffers the
    /// writer reuses. The seal decodes its head's pages this way: a column at a time
    /// stays in the CPU's cache between its decoding and its encoding, where a block of a
    /// whole file's columns (tens of MB, zeroed first) did not.
    public static func write(
        path: String, timestampsMs: [Int64], columnNames: [String], fill: ColumnFill,
        keyValueMetadata: [(key: String, value: String)], createdBy: String,
        codec: ParquetCodec = .snappy, doubleEncoding: ParquetDoubleEncoding = .plain,
        integerColumns: Bool = false, fsync: Bool = true, maxPageBytes: Int = defaultMaxPageBytes
    ) throws -> ParquetWriteResult {
        let rowCount = timestampsMs.count
        let values = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: Swift.max(1, rowCount))
        let presence = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: Swift.max(1, rowCount))
        defer {
            values.deallocate()
            presence.deallocate()
        }
        values.initialize(repeating: 0)
        return try writeFile(
            path: path, timestampsMs: timestampsMs, names: columnNames,
            column: { index in
                presence.update(repeating: 0)
                fill(index, values.baseAddress!, presence.baseAddress!)
                return ParquetDoubleColumn(
                    name: columnNames[index], values: UnsafeBufferPointer(rebasing: values[0..<rowCount]),
                    presence: UnsafeBufferPointer(rebasing: presence[0..<rowCount]))
            },
            keyValueMetadata: keyValueMetadata, createdBy: createdBy, codec: codec, doubleEncoding: doubleEncoding,
            integerColumns: integerColumns, fsync: fsync, maxPageBytes: maxPageBytes)
    }

    /// `column(i)` is asked for once, in order, each just before it is encoded.
    private static func writeFile(
        path: String, timestampsMs: [Int64], names: [String], column: (Int) -> ParquetDoubleColumn,
        keyValueMetadata: [(key: String, value: String)], createdBy: String,
        codec: ParquetCodec, doubleEncoding: ParquetDoubleEncoding,
        integerColumns: Bool, fsync: Bool, maxPageBytes: Int
    ) throws -> ParquetWriteResult {
        try validate(path: path, timestampsMs: timestampsMs, names: names, maxPageBytes: maxPageBytes)
        let rowCount = timestampsMs.count
        let out = try FileOutput(path: path)
        try out.write(magic)
        let chunkWriter = ColumnChunkWriter(output: out, codec: codec, maxPageBytes: maxPageBytes, doubleEncoding: doubleEncoding)
        var chunks: [ChunkSummary] = []
        chunks.reserveCapacity(names.count + 1)
        chunks.append(try chunkWriter.writeTimestamps(timestampsMs, name: timestampColumnName))
        var nonNull = 0
        var schema = [ParquetStreamColumn(name: timestampColumnName, kind: .timestampMillis)]
        schema.reserveCapacity(names.count + 1)
        for index in names.indices {
            let column = column(index)
            let whole = integerColumns && chunkWriter.holdsOnlyIntegers(column, rowCount: rowCount)
            let (summary, present) = whole
                ? try chunkWriter.writeIntegers(column, rowCount: rowCount)
                : try chunkWriter.writeDoubles(column, rowCount: rowCount)
            chunks.append(summary)
            schema.append(ParquetStreamColumn(name: column.name, kind: whole ? .optionalInt64 : .optionalDouble))
            nonNull += present
        }

        let footer = encodeFileMetaData(
            columns: schema, groups: [(Int64(rowCount), chunks)], numRows: Int64(rowCount),
            keyValueMetadata: keyValueMetadata, createdBy: createdBy)
        guard footer.count <= Int(UInt32.max) else {
            throw ParquetError(.invalidArgument, path: path, "footer of \(footer.count) bytes exceeds the u32 length field")
        }
        try out.write(footer)
        try out.write(plainBytes(UInt64(footer.count)).prefix(4).map { $0 })
        try out.write(magic)
        try out.finish(fsync: fsync)
        return ParquetWriteResult(bytes: Int(out.position), nonNullValues: nonNull, footerBytes: footer.count)
    }

    static let magic: [UInt8] = Array("PAR1".utf8)

    private static func validate(path: String, timestampsMs: [Int64], names: [String], maxPageBytes: Int) throws {
        func fail(_ message: String) -> ParquetError { ParquetError(.invalidArgument, path: path, message) }
        guard maxPageBytes >= 64 else { throw fail("maxPageBytes \(maxPageBytes) is below 64") }
        for i in timestampsMs.indices.dropFirst() where timestampsMs[i] <= timestampsMs[i - 1] {
            throw fail("timestamps not strictly increasing at row \(i)")
        }
        // Duplicate leaf names make most readers refuse the file (or silently
        // pick one), so reject them here where the caller can still react.
        var seen = Set([timestampColumnName])
        seen.reserveCapacity(names.count + 1)
        for name in names {
            guard seen.insert(name).inserted else { throw fail("duplicate column name \(name)") }
        }
    }
}
