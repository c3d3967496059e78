/// Where one row group's part of a column lives in the file.
public struct ParquetChunkLocation: Sendable, Equatable {
    public var offset: Int64
    public var length: Int64
    public var valueCount: Int64
}

/// A leaf column as described by the footer.
public struct ParquetColumnInfo: Sendable {
    public var name: String
    /// parquet.thrift `Type`: INT64 = 2, DOUBLE = 5, ...
    public var physicalType: Int32
    public var isOptional: Bool
    /// Rows of the column, nulls included (summed over row groups).
    public var valueCount: Int64
    /// Statistics null_count summed over row groups; nil when any chunk lacks it.
    public var nullCount: Int64?
    /// Statistics nan_count (summed); nil when any chunk lacks it.
    public var nanCount: Int64?
    /// PLAIN-encoded statistics min/max; only for single-row-group files.
    public var minValue: [UInt8]?
    public var maxValue: [UInt8]?
    /// parquet.thrift `CompressionCodec` of the first chunk (0 none, 1 snappy, ...).
    public var codec: Int32
    public var encodings: [Int32]
    /// The first row group's chunk (Seismo files have exactly one).
    public var chunkOffset: Int64
    public var chunkLength: Int64
    public var chunks: [ParquetChunkLocation]
}

/// Reads Seismo segment files, and flat files from other writers that stay in
/// the same subset (PLAIN/DELTA_BINARY_PACKED, data page v1, no dictionary,
/// SNAPPY or UNCOMPRESSED). Opening parses only the footer; each column read
/// is one pread per column chunk, so a query touching ten series of a
/// 2,000-column file reads ten chunks.
/// Safe to share across threads: all state is immutable after `init`, and
/// reads use `pread` on the shared descriptor (no file position).
public final class ParquetFileReader: @unchecked Sendable {
    private let input: FileInput
    private let footer: ParsedFooter
    public let columns: [ParquetColumnInfo]
    /// Metadata per column and row group, parallel to `columns`.
    private let chunkMeta: [[ParsedColumnMeta]]

    public var rowCount: Int64 { footer.numRows }
    public var keyValueMetadata: [(key: String, value: String)] { footer.keyValueMetadata }
    public var createdBy: String? { footer.createdBy }
    public var fileSize: Int64 { input.size }
    public var path: String { input.path }

    /// Seismo files hold at most days of seconds; anything claiming more than
    /// Int32.max rows is treated as damage rather than allocated for.
    static let maxRows = Int64(Int32.max)

    public init(path: String) throws {
        input = try FileInput(path: path)
        let size = input.size
        func corrupt(_ offset: Int64, _ message: String) -> ParquetError {
            ParquetError(.corruptFooter, path: path, offset: offset, message)
        }
        guard size >= 12 else { throw corrupt(0, "file of \(size) bytes is too small to be Parquet") }
        let head = try input.read(offset: 0, count: 4, kind: .corruptFooter)
        guard head == ParquetWriter.magic else { throw corrupt(0, "missing PAR1 magic at the start") }
        let tail = try input.read(offset: size - 8, count: 8, kind: .corruptFooter)
        if Array(tail[4...]) == Array("PARE".utf8) {
            throw ParquetError(.unsupported, path: path, offset: size - 4, "encrypted footer")
        }
        guard Array(tail[4...]) == ParquetWriter.magic else { throw corrupt(size - 4, "missing PAR1 magic at the end (truncated file?)") }
        let length = Int64(tail[0]) | Int64(tail[1]) << 8 | Int64(tail[2]) << 16 | Int64(tail[3]) << 24
        guard length <= size - 12 else { throw corrupt(size - 8, "footer length \(length) exceeds the file") }
        let footerStart = size - 8 - length
        let bytes = try input.read(offset: footerStart, count: Int(length), kind: .corruptFooter)
        var r = ThriftCompactReader(data: bytes, fileOffset: footerStart, path: path, errorKind: .corruptFooter)
        let parsed = try MetadataParser.fileMetaData(&r)
        footer = parsed
        (columns, chunkMeta) = try Self.describeColumns(parsed, footerStart: footerStart, path: path)
    }

    /// Validates the schema (flat: root + leaves) and every chunk's counters
    /// against each other, so column reads can trust them for bounds.
    private static func describeColumns(_ f: ParsedFooter, footerStart: Int64, path: String) throws -> ([ParquetColumnInfo], [[ParsedColumnMeta]]) {
        func corrupt(_ message: String) -> ParquetError { ParquetError(.corruptFooter, path: path, offset: footerStart, message) }
        guard let root = f.schema.first, let k = root.numChildren, Int(k) == f.schema.count - 1 else {
            throw corrupt("schema root does not list its \(max(0, f.schema.count - 1)) leaves")
        }
        guard f.numRows <= maxRows else { throw corrupt("num_rows \(f.numRows) is implausible") }
        var rows: Int64 = 0
        for g in f.rowGroups {
            guard g.columns.count == Int(k) else { throw corrupt("row group has \(g.columns.count) column chunks for \(k) columns") }
            guard g.numRows >= 0, g.numRows <= maxRows else { throw corrupt("row group num_rows \(g.numRows)") }
            let (sum, overflow) = rows.addingReportingOverflow(g.numRows)
            guard !overflow else { throw corrupt("row group sizes overflow") }
            rows = sum
        }
        guard rows == f.numRows else { throw corrupt("row groups hold \(rows) rows, the file says \(f.numRows)") }

        var infos: [ParquetColumnInfo] = []
        var metas: [[ParsedColumnMeta]] = []
        infos.reserveCapacity(Int(k))
        for (i, leaf) in f.schema.dropFirst().enumerated() {
            guard (leaf.numChildren ?? 0) == 0, let type = leaf.type else {
                throw ParquetError(.unsupported, path: path, offset: footerStart, "nested schema (column \(leaf.name))")
            }
            let rep = leaf.repetition ?? Repetition.required
            guard rep == Repetition.required || rep == Repetition.optional else {
                throw ParquetError(.unsupported, path: path, offset: footerStart, "repeated column \(leaf.name)")
            }
            var chunks: [ParsedColumnMeta] = []
            var locations: [ParquetChunkLocation] = []
            var nulls: Int64? = 0
            var nans: Int64? = 0
            for g in f.rowGroups {
                let m = g.columns[i]
                guard m.type == type, m.path == [leaf.name] else { throw corrupt("column chunk \(i) does not match schema leaf \(leaf.name)") }
                guard m.numValues == g.numRows else { throw corrupt("column \(leaf.name) has \(m.numValues) values in a row group of \(g.numRows) rows") }
                // A dictionary page, when present, precedes the data pages.
                let start = m.dictionaryPageOffset.map { $0 > 0 ? min($0, m.dataPageOffset) : m.dataPageOffset } ?? m.dataPageOffset
                guard start >= 4, m.totalCompressedSize >= 0, m.totalCompressedSize <= footerStart - start else {
                    throw corrupt("column \(leaf.name) chunk at \(start) of \(m.totalCompressedSize) bytes lies outside the data area")
                }
                locations.append(ParquetChunkLocation(offset: start, length: m.totalCompressedSize, valueCount: m.numValues))
                chunks.append(m)
                nulls = nulls.flatMap { n in m.statistics?.nullCount.map { n &+ $0 } }  // wrapping: garbage must not trap
                nans = nans.flatMap { n in m.statistics?.nanCount.map { n &+ $0 } }
            }
            let single = f.rowGroups.count == 1 ? f.rowGroups[0].columns[i].statistics : nil
            infos.append(ParquetColumnInfo(
                name: leaf.name, physicalType: type, isOptional: rep == Repetition.optional,
                valueCount: f.numRows, nullCount: nulls, nanCount: nans,
                minValue: single?.minValue, maxValue: single?.maxValue,
                codec: chunks.first?.codec ?? CompressionCodec.uncompressed, encodings: chunks.first?.encodings ?? [],
                chunkOffset: locations.first?.offset ?? 0, chunkLength: locations.first?.length ?? 0, chunks: locations))
            metas.append(chunks)
        }
        return (infos, metas)
    }

    /// A REQUIRED INT64 column (PLAIN or DELTA_BINARY_PACKED). An OPTIONAL INT64
    /// column is accepted only if it holds no nulls.
    public func readInt64Column(_ index: Int) throws -> [Int64] {
        try checkIndex(index, type: PhysicalType.int64)
        var out: [Int64] = []
        out.reserveCapacity(Int(min(rowCount, 1 << 24)))
        try forEachDataPage(index) { page in
            let present = try page.definitionLevels()
            guard present.nonNull == page.numValues else {
                throw page.error(at: page.start, "null in INT64 column \(columns[index].name)", kind: .unsupported)
            }
            try page.appendInt64Values(valuesStart: present.valuesStart, count: present.nonNull, to: &out)
        }
        return out
    }

    /// A series column (DOUBLE, or OPTIONAL INT64 for whole-number series) as IEEE-754
    /// bit patterns (NaN payloads intact); nil = null.
    public func readDoubleColumn(_ index: Int) throws -> [UInt64?] {
        let integer = try checkSeriesColumn(index)
        var out: [UInt64?] = []
        out.reserveCapacity(Int(min(rowCount, 1 << 24)))
        try forEachDataPage(index) { page in
            let present = try page.definitionLevels()
            let plain = try page.seriesValueBytes(valuesStart: present.valuesStart, count: present.nonNull, integer: integer)
            plain.bytes.withUnsafeBytes { raw in
                var at = plain.start
                if let levels = present.levels {
                    for level in levels {
                        if level == 0 {
                            out.append(nil)
                        } else {
                            out.append(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)))
                            at += 8
                        }
                    }
                } else {
                    for _ in 0..<present.nonNull {
                        out.append(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)))
                        at += 8
                    }
                }
            }
        }
        return out
    }

    /// Number of data pages in column `index` (all row groups); for tests and inspection.
    func dataPageCount(_ index: Int) throws -> Int {
        guard columns.indices.contains(index) else { return 0 }
        var pages = 0
        try forEachDataPage(index) { _ in pages += 1 }
        return pages
    }

    /// Checks that column `index` is a series column: DOUBLE, or an OPTIONAL INT64 (the
    /// REQUIRED INT64 timestamp is not one). Returns whether it is the integer kind.
    func checkSeriesColumn(_ index: Int) throws -> Bool {
        if columns.indices.contains(index), columns[index].physicalType == PhysicalType.int64, columns[index].isOptional {
            return true
        }
        try checkIndex(index, type: PhysicalType.double)
        return false
    }

    func checkIndex(_ index: Int, type: Int32) throws {
        guard columns.indices.contains(index) else {
            throw ParquetError(.invalidArgument, path: path, "column index \(index) out of range 0..<\(columns.count)")
        }
        guard columns[index].physicalType == type else {
            throw ParquetError(.invalidArgument, path: path, "column \(columns[index].name) has physical type \(columns[index].physicalType), not \(type)")
        }
    }

    /// Reads each chunk of column `index` with one pread and hands its data
    /// pages, decompressed, to `body`.
    func forEachDataPage(_ index: Int, _ body: (DataPage) throws -> Void) throws {
        let optional = columns[index].isOptional
        for (meta, location) in zip(chunkMeta[index], columns[index].chunks) {
            let data = try input.read(offset: location.offset, count: Int(location.length), kind: .corruptData)
            var pos = 0
            var seen: Int64 = 0
            while seen < meta.numValues {
                let pageOffset = location.offset + Int64(pos)
                guard pos < data.count else {
                    throw ParquetError(.corruptData, path: path, offset: pageOffset, "column chunk ends after \(seen) of \(meta.numValues) values")
                }
                var r = ThriftCompactReader(data: data, start: pos, fileOffset: location.offset, path: path, errorKind: .corruptData)
                let header = try MetadataParser.pageHeader(&r)
                let bodyStart = r.pos
                guard Int(header.compressedSize) <= data.count - bodyStart else {
                    throw r.error("page body of \(header.compressedSize) bytes runs past the column chunk")
                }
                pos = bodyStart + Int(header.compressedSize)
                switch header.type {
                case PageType.dataPage:
                    break
                case PageType.indexPage:
                    continue
                case PageType.dictionaryPage:
                    throw ParquetError(.unsupported, path: path, offset: pageOffset, "dictionary page (write with use_dictionary=False)")
                default:
                    throw ParquetError(.unsupported, path: path, offset: pageOffset, "page type \(header.type) (only data page v1)")
                }
                guard let numValues = header.numValues, numValues >= 0, Int64(numValues) <= meta.numValues - seen else {
                    throw ParquetError(.corruptData, path: path, offset: pageOffset, "data page value count \(header.numValues ?? -1) does not fit the chunk")
                }
                let bodyOffset = location.offset + Int64(bodyStart)
                let page: DataPage
                switch meta.codec {
                case CompressionCodec.uncompressed:
                    guard header.uncompressedSize == header.compressedSize else {
                        throw ParquetError(.corruptData, path: path, offset: pageOffset, "uncompressed page with differing sizes")
                    }
                    page = DataPage(body: data, start: bodyStart, end: pos, bodyOffset: location.offset, numValues: Int(numValues),
                                    encoding: header.encoding, levelEncoding: header.definitionLevelEncoding, optional: optional, path: path)
                case CompressionCodec.snappy:
                    guard let plain = SnappyBlock.uncompress(data, start: bodyStart, count: Int(header.compressedSize),
                                                             expectedSize: Int(header.uncompressedSize)) else {
                        throw ParquetError(.corruptData, path: path, offset: bodyOffset, "snappy page body does not decompress to \(header.uncompressedSize) bytes")
                    }
                    // Offsets inside a decompressed body have no file position;
                    // errors there report the body's start.
                    page = DataPage(body: plain, start: 0, end: plain.count, bodyOffset: bodyOffset, numValues: Int(numValues),
                                    encoding: header.encoding, levelEncoding: header.definitionLevelEncoding, optional: optional,
                                    path: path, offsetsAreApproximate: true)
                default:
                    throw ParquetError(.unsupported, path: path, offset: pageOffset, "compression codec \(meta.codec)")
                }
                try body(page)
                seen += Int64(numValues)
            }
        }
    }
}
