import Dispatch

/// The column types a streamed (multi-row-group) file may hold. This is the subset the
/// training export needs and that pyarrow, DuckDB, polars and Spark all read.
public enum ParquetStreamColumnKind: Sendable, Equatable {
    /// INT64 REQUIRED, TIMESTAMP(MILLIS, UTC), DELTA_BINARY_PACKED (as in segments).
    case timestampMillis
    /// INT32 REQUIRED, PLAIN (small integer flags such as `anomaly`).
    case int32
    /// BYTE_ARRAY OPTIONAL, STRING/UTF8, PLAIN.
    case optionalString
    /// DOUBLE OPTIONAL, PLAIN, RLE definition levels (as in segments).
    case optionalDouble
    /// INT64 OPTIONAL, DELTA_BINARY_PACKED: a segment's series column whose values are
    /// all whole numbers (`ParquetWriter.write(integerColumns:)`); not streamed.
    case optionalInt64
}

public struct ParquetStreamColumn: Sendable, Equatable {
    public var name: String
    public var kind: ParquetStreamColumnKind
    public init(name: String, kind: ParquetStreamColumnKind) {
        self.name = name
        self.kind = kind
    }
}

/// Writes a Parquet file one row group at a time, so a table far larger than memory can
/// be produced with only one row group's columns buffered by the caller. Column chunks
/// are encoded by the same `ColumnChunkWriter` as sealed segments; the footer (all row
/// groups' chunk metadata) is written by `close`.
///
/// Usage: `beginRowGroup(rows:)`, then one `write…` call per column in schema order,
/// `endRowGroup()`; repeat; `close(keyValueMetadata:)`.
public final class ParquetStreamWriter {
    public let columns: [ParquetStreamColumn]
    private let out: FileOutput
    private let chunkWriter: ColumnChunkWriter
    private let createdBy: String
    private var groups: [(rows: Int64, chunks: [ChunkSummary])] = []
    private var current: [ChunkSummary] = []
    private var currentRows = -1
    private var totalRows: Int64 = 0
    private var nonNull = 0
    private var closed = false
    private let codec: ParquetCodec
    private let maxPageBytes: Int
    private var helper: HelperEncoder?

    /// Writes to a file at `path` (created or truncated).
    public convenience init(path: String, columns: [ParquetStreamColumn], createdBy: String,
                            codec: ParquetCodec = .snappy, maxPageBytes: Int = ParquetWriter.defaultMaxPageBytes) throws {
        try self.init(output: FileOutput(path: path), columns: columns, createdBy: createdBy, codec: codec, maxPageBytes: maxPageBytes)
    }

    /// Hands the bytes to `sink` in ≈1 MiB pieces (stdout, an HTTP body). `name` is used
    /// in error messages only.
    public convenience init(name: String, sink: @escaping (UnsafeRawBufferPointer) throws -> Void,
                            columns: [ParquetStreamColumn], createdBy: String,
                            codec: ParquetCodec = .snappy, maxPageBytes: Int = ParquetWriter.defaultMaxPageBytes) throws {
        try self.init(output: FileOutput(name: name, sink: sink), columns: columns, createdBy: createdBy, codec: codec, maxPageBytes: maxPageBytes)
    }

    private init(output: FileOutput, columns: [ParquetStreamColumn], createdBy: String, codec: ParquetCodec, maxPageBytes: Int) throws {
        guard maxPageBytes >= 64 else { throw ParquetError(.invalidArgument, path: output.path, "maxPageBytes \(maxPageBytes) is below 64") }
        var names = Set<String>()
        for c in columns where !names.insert(c.name).inserted {
            throw ParquetError(.invalidArgument, path: output.path, "duplicate column name \(c.name)")
        }
        self.columns = columns
        self.out = output
        self.createdBy = createdBy
        self.codec = codec
        self.maxPageBytes = maxPageBytes
        chunkWriter = ColumnChunkWriter(output: output, codec: codec, maxPageBytes: maxPageBytes)
        try out.write(ParquetWriter.magic)
    }

    private func fail(_ message: String) -> ParquetError { ParquetError(.invalidArgument, path: out.path, message) }

    /// The next column to write must be of `kind`; returns its spec.
    private func next(_ kind: ParquetStreamColumnKind, count: Int) throws -> ParquetStreamColumn {
        guard currentRows >= 0 else { throw fail("no row group begun") }
        guard current.count < columns.count else { throw fail("more columns than the schema's \(columns.count)") }
        let spec = columns[current.count]
        guard spec.kind == kind else { throw fail("column \(spec.name) is \(spec.kind), written as \(kind)") }
        guard count == currentRows else { throw fail("column \(spec.name) has \(count) values for \(currentRows) rows") }
        return spec
    }

    public func beginRowGroup(rows: Int) throws {
        guard !closed, currentRows < 0 else { throw fail("row group already open or file closed") }
        guard rows > 0 else { throw fail("empty row group") }
        currentRows = rows
        current.removeAll(keepingCapacity: true)
    }

    public func writeTimestamps(_ timestampsMs: [Int64]) throws {
        let spec = try next(.timestampMillis, count: timestampsMs.count)
        current.append(try chunkWriter.writeTimestamps(timestampsMs, name: spec.name))
    }

    public func writeInt32(_ values: [Int32]) throws {
        let spec = try next(.int32, count: values.count)
        current.append(try chunkWriter.writeRequiredInt32(values, name: spec.name))
    }

    public func writeStrings(_ values: [String?]) throws {
        let spec = try next(.optionalString, count: values.count)
        current.append(try chunkWriter.writeOptionalStrings(values, name: spec.name))
    }

    /// `column.name` is ignored: the schema names the column.
    public func writeDoubles(_ column: ParquetDoubleColumn) throws {
        var c = column
        c.name = try next(.optionalDouble, count: column.values.count).name
        guard column.presence.count == column.values.count else { throw fail("column \(c.name): presence and values differ in length") }
        let (summary, present) = try chunkWriter.writeDoubles(c, rowCount: currentRows)
        current.append(summary)
        nonNull += present
    }

    /// Writes the next `columns.count` DOUBLE columns, encoding the second half of every
    /// batch on a helper thread (into memory) while this thread encodes the first half
    /// straight to the output; the helper's bytes follow. Same file as calling
    /// `writeDoubles` for each, in about half the time on two cores: snappy and page
    /// encoding are most of an export's CPU.
    public func writeDoublesConcurrently(_ columns: [ParquetDoubleColumn], batch: Int = 64) throws {
        var i = 0
        while i < columns.count {
            let end = min(columns.count, i + batch)
            let mid = end - (end - i) / 2
            for k in i..<end { _ = try specAt(current.count + (k - i), count: columns[k].values.count) }
            let helper = self.helper ?? HelperEncoder(codec: codec, maxPageBytes: maxPageBytes)
            self.helper = helper
            let rows = currentRows
            let second = Array(columns[mid..<end])
            let specs = (0..<(end - mid)).map { self.columns[current.count + (mid - i) + $0].name }
            let done = DispatchSemaphore(value: 0)
            let result = HelperResult()
            DispatchQueue.global().async {
                result.value = Result { try helper.encode(second, names: specs, rows: rows) }
                done.signal()
            }
            var firstError: Error?
            do {
                for k in i..<mid {
                    var c = columns[k]
                    c.name = self.columns[current.count].name
                    let (summary, present) = try chunkWriter.writeDoubles(c, rowCount: rows)
                    current.append(summary)
                    nonNull += present
                }
            } catch {
                firstError = error
            }
            done.wait()
            if let firstError { throw firstError }
            let encoded = try result.value.get()
            let base = out.position
            try out.write(helper.bytes)
            for (var summary, present) in encoded {
                summary.dataPageOffset += base
                current.append(summary)
                nonNull += present
            }
            i = end
        }
    }

    private func specAt(_ index: Int, count: Int) throws -> ParquetStreamColumn {
        guard currentRows >= 0 else { throw fail("no row group begun") }
        guard index < columns.count else { throw fail("more columns than the schema's \(columns.count)") }
        let spec = columns[index]
        guard spec.kind == .optionalDouble else { throw fail("column \(spec.name) is \(spec.kind), written as a double") }
        guard count == currentRows else { throw fail("column \(spec.name) has \(count) values for \(currentRows) rows") }
        return spec
    }

    public func endRowGroup() throws {
        guard currentRows >= 0 else { throw fail("no row group begun") }
        guard current.count == columns.count else { throw fail("row group has \(current.count) of \(columns.count) columns") }
        groups.append((Int64(currentRows), current))
        totalRows += Int64(currentRows)
        currentRows = -1
        current = []
    }

    /// Writes the footer and closes (fsyncs a file when `fsync`). A file without any row
    /// group is valid Parquet with zero rows.
    @discardableResult
    public func close(keyValueMetadata: [(key: String, value: String)], fsync: Bool = false) throws -> ParquetWriteResult {
        guard !closed, currentRows < 0 else { throw fail("close with a row group open or twice") }
        closed = true
        let footer = encodeFileMetaData(columns: columns, groups: groups, numRows: totalRows,
                                              keyValueMetadata: keyValueMetadata, createdBy: createdBy)
        guard footer.count <= Int(UInt32.max) else { throw fail("footer of \(footer.count) bytes exceeds the u32 length field") }
        try out.write(footer)
        try out.write(Array(plainBytes(UInt64(footer.count)).prefix(4)))
        try out.write(ParquetWriter.magic)
        try out.finish(fsync: fsync)
        return ParquetWriteResult(bytes: Int(out.position), nonNullValues: nonNull, footerBytes: footer.count)
    }

    public var rowsWritten: Int64 { totalRows }
}

/// Handed from the helper thread to the writer; the semaphore orders the accesses.
final class HelperResult: @unchecked Sendable {
    var value: Result<[(ChunkSummary, Int)], Error> = .success([])
}

/// Encodes column chunks into memory for `writeDoublesConcurrently`; offsets in the
/// summaries are relative to the start of `bytes`. Reused across batches.
final class HelperEncoder {
    private(set) var bytes: [UInt8] = []
    private var output: FileOutput!
    private var writer: ColumnChunkWriter!

    init(codec: ParquetCodec, maxPageBytes: Int) {
        output = FileOutput(name: "memory", sink: { [unowned self] in self.bytes.append(contentsOf: $0) })
        writer = ColumnChunkWriter(output: output, codec: codec, maxPageBytes: maxPageBytes)
    }

    func encode(_ columns: [ParquetDoubleColumn], names: [String], rows: Int) throws -> [(ChunkSummary, Int)] {
        bytes.removeAll(keepingCapacity: true)
        let start = output.position
        var out: [(ChunkSummary, Int)] = []
        for (c, name) in zip(columns, names) {
            var column = c
            column.name = name
            var (summary, present) = try writer.writeDoubles(column, rowCount: rows)
            summary.dataPageOffset -= start
            out.append((summary, present))
        }
        try output.flush()
        return out
    }
}
