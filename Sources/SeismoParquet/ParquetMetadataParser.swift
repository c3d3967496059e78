/// The parts of FileMetaData the reader uses; everything else is skipped.
struct ParsedSchemaElement {
    var type: Int32?
    var repetition: Int32?
    var name = ""
    var numChildren: Int32?
}

struct ParsedStatistics {
    var nullCount: Int64?
    var minValue: [UInt8]?
    var maxValue: [UInt8]?
    var nanCount: Int64?
}

struct ParsedColumnMeta {
    var type: Int32 = -1
    var encodings: [Int32] = []
    var path: [String] = []
    var codec: Int32 = -1
    var numValues: Int64 = -1
    var totalUncompressedSize: Int64 = -1
    var totalCompressedSize: Int64 = -1
    var dataPageOffset: Int64 = -1
    var dictionaryPageOffset: Int64?
    var statistics: ParsedStatistics?
}

struct ParsedRowGroup {
    var columns: [ParsedColumnMeta] = []
    var numRows: Int64 = -1
}

struct ParsedFooter {
    var schema: [ParsedSchemaElement] = []
    var numRows: Int64 = -1
    var rowGroups: [ParsedRowGroup] = []
    var keyValueMetadata: [(key: String, value: String)] = []
    var createdBy: String?
}

struct ParsedPageHeader {
    var type: Int32 = -1
    var uncompressedSize: Int32 = -1
    var compressedSize: Int32 = -1
    /// From DataPageHeader (v1); nil for other page types.
    var numValues: Int32?
    var encoding: Int32 = -1
    var definitionLevelEncoding: Int32 = -1
}

/// Decoders for the Thrift structs the reader needs, written against the
/// field ids of parquet.thrift. Each checks the Thrift type of a known field
/// and skips unknown ones.
enum MetadataParser {
    static func fileMetaData(_ r: inout ThriftCompactReader) throws -> ParsedFooter {
        var f = ParsedFooter()
        var last: Int16 = 0
        var seen = (schema: false, rowGroups: false)
        while let (id, type) = try r.field(&last) {
            switch id {
            case 2:
                try r.expect(type, ThriftType.list, field: id)
                try list(&r) { r in f.schema.append(try schemaElement(&r)) }
                seen.schema = true
            case 3:
                try r.expect(type, ThriftType.i64, field: id)
                f.numRows = try r.zigzag()
            case 4:
                try r.expect(type, ThriftType.list, field: id)
                try list(&r) { r in f.rowGroups.append(try rowGroup(&r)) }
                seen.rowGroups = true
            case 5:
                try r.expect(type, ThriftType.list, field: id)
                try list(&r) { r in f.keyValueMetadata.append(try keyValue(&r)) }
            case 6:
                try r.expect(type, ThriftType.binary, field: id)
                f.createdBy = try r.string()
            default:
                try r.skip(type)
            }
        }
        guard seen.schema, seen.rowGroups, f.numRows >= 0 else {
            throw r.error("FileMetaData lacks schema, num_rows or row_groups")
        }
        return f
    }

    /// Reads a list of structs, calling `element` once per element.
    private static func list(_ r: inout ThriftCompactReader, _ element: (inout ThriftCompactReader) throws -> Void) throws {
        let (elementType, count) = try r.listHeader()
        guard elementType == ThriftType.structure else { throw r.error("expected a list of structs, got element type \(elementType)") }
        for _ in 0..<count { try element(&r) }
    }

    private static func schemaElement(_ r: inout ThriftCompactReader) throws -> ParsedSchemaElement {
        var e = ParsedSchemaElement()
        var last: Int16 = 0
        while let (id, type) = try r.field(&last) {
            switch (id, type) {
            case (1, ThriftType.i32): e.type = try r.i32()
            case (3, ThriftType.i32): e.repetition = try r.i32()
            case (4, ThriftType.binary): e.name = try r.string()
            case (5, ThriftType.i32): e.numChildren = try r.i32()
            case (1, _), (3, _), (4, _), (5, _): throw r.error("SchemaElement field \(id) has Thrift type \(type)")
            default: try r.skip(type)
            }
        }
        return e
    }

    private static func rowGroup(_ r: inout ThriftCompactReader) throws -> ParsedRowGroup {
        var g = ParsedRowGroup()
        var last: Int16 = 0
        while let (id, type) = try r.field(&last) {
            switch (id, type) {
            case (1, ThriftType.list): try list(&r) { r in g.columns.append(try columnChunk(&r)) }
            case (3, ThriftType.i64): g.numRows = try r.zigzag()
            case (1, _), (3, _): throw r.error("RowGroup field \(id) has Thrift type \(type)")
            default: try r.skip(type)
            }
        }
        return g
    }

    private static func columnChunk(_ r: inout ThriftCompactReader) throws -> ParsedColumnMeta {
        var meta: ParsedColumnMeta?
        var last: Int16 = 0
        while let (id, type) = try r.field(&last) {
            switch (id, type) {
            case (3, ThriftType.structure): meta = try columnMetaData(&r)
            case (3, _): throw r.error("ColumnChunk field 3 has Thrift type \(type)")
            default: try r.skip(type)  // e.g. file_path (1): external chunks are rejected below
            }
        }
        guard let meta else { throw r.error("ColumnChunk without meta_data (encrypted or external column?)") }
        return meta
    }

    private static func columnMetaData(_ r: inout ThriftCompactReader) throws -> ParsedColumnMeta {
        var m = ParsedColumnMeta()
        var last: Int16 = 0
        while let (id, type) = try r.field(&last) {
            switch (id, type) {
            case (1, ThriftType.i32): m.type = try r.i32()
            case (2, ThriftType.list):
                let (elementType, count) = try r.listHeader()
                guard elementType == ThriftType.i32 else { throw r.error("encodings list has element type \(elementType)") }
                for _ in 0..<count { m.encodings.append(try r.i32()) }
            case (3, ThriftType.list):
                let (elementType, count) = try r.listHeader()
                guard elementType == ThriftType.binary else { throw r.error("path_in_schema has element type \(elementType)") }
                for _ in 0..<count { m.path.append(try r.string()) }
            case (4, ThriftType.i32): m.codec = try r.i32()
            case (5, ThriftType.i64): m.numValues = try r.zigzag()
            case (6, ThriftType.i64): m.totalUncompressedSize = try r.zigzag()
            case (7, ThriftType.i64): m.totalCompressedSize = try r.zigzag()
            case (9, ThriftType.i64): m.dataPageOffset = try r.zigzag()
            case (11, ThriftType.i64): m.dictionaryPageOffset = try r.zigzag()
            case (12, ThriftType.structure): m.statistics = try statistics(&r)
            case (1...7, _), (9, _), (11, _), (12, _): throw r.error("ColumnMetaData field \(id) has Thrift type \(type)")
            default: try r.skip(type)
            }
        }
        return m
    }

    private static func statistics(_ r: inout ThriftCompactReader) throws -> ParsedStatistics {
        var s = ParsedStatistics()
        var last: Int16 = 0
        while let (id, type) = try r.field(&last) {
            switch (id, type) {
            case (3, ThriftType.i64): s.nullCount = try r.zigzag()
            case (5, ThriftType.binary): s.maxValue = Array(try r.binary())
            case (6, ThriftType.binary): s.minValue = Array(try r.binary())
            case (9, ThriftType.i64): s.nanCount = try r.zigzag()
            default: try r.skip(type)  // deprecated min/max, distinct_count, exactness flags, ...
            }
        }
        return s
    }

    private static func keyValue(_ r: inout ThriftCompactReader) throws -> (key: String, value: String) {
        var key = ""
        var value = ""
        var last: Int16 = 0
        while let (id, type) = try r.field(&last) {
            switch (id, type) {
            case (1, ThriftType.binary): key = try r.string()
            case (2, ThriftType.binary): value = try r.string()
            default: try r.skip(type)
            }
        }
        return (key, value)
    }

    static func pageHeader(_ r: inout ThriftCompactReader) throws -> ParsedPageHeader {
        var h = ParsedPageHeader()
        var last: Int16 = 0
        while let (id, type) = try r.field(&last) {
            switch (id, type) {
            case (1, ThriftType.i32): h.type = try r.i32()
            case (2, ThriftType.i32): h.uncompressedSize = try r.i32()
            case (3, ThriftType.i32): h.compressedSize = try r.i32()
            case (5, ThriftType.structure):
                var inner: Int16 = 0
                while let (fid, ftype) = try r.field(&inner) {
                    switch (fid, ftype) {
                    case (1, ThriftType.i32): h.numValues = try r.i32()
                    case (2, ThriftType.i32): h.encoding = try r.i32()
                    case (3, ThriftType.i32): h.definitionLevelEncoding = try r.i32()
                    default: try r.skip(ftype)  // repetition level encoding, page statistics
                    }
                }
            case (1...3, _), (5, _): throw r.error("PageHeader field \(id) has Thrift type \(type)")
            default: try r.skip(type)  // crc, dictionary/index/v2 headers
            }
        }
        guard h.type >= 0, h.uncompressedSize >= 0, h.compressedSize >= 0 else {
            throw r.error("PageHeader lacks type or sizes")
        }
        return h
    }
}
