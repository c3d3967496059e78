/// Enum values from parquet.thrift used by this writer and reader.
enum PhysicalType {
    static let int32: Int32 = 1
    static let int64: Int32 = 2
    static let double: Int32 = 5
}

enum Repetition {
    static let required: Int32 = 0
    static let optional: Int32 = 1
    static let repeated: Int32 = 2
}

enum Encoding {
    static let plain: Int32 = 0
    static let rle: Int32 = 3
    static let bitPacked: Int32 = 4
    static let deltaBinaryPacked: Int32 = 5
    static let byteStreamSplit: Int32 = 9
}

enum CompressionCodec {
    static let uncompressed: Int32 = 0
    static let snappy: Int32 = 1
}

enum PageType {
    static let dataPage: Int32 = 0
    static let indexPage: Int32 = 1
    static let dictionaryPage: Int32 = 2
    static let dataPageV2: Int32 = 3
}

enum ConvertedType {
    static let timestampMillis: Int32 = 9
}

/// Column-chunk statistics as written: `min`/`max` are PLAIN-encoded bytes.
struct ChunkStatistics {
    var nullCount: Int64 = 0
    var minValue: [UInt8]?
    var maxValue: [UInt8]?
    /// Only for floating-point columns; absent means "NaNs may exist".
    var nanCount: Int64?
}

/// What the writer records about a column chunk it has streamed to disk.
struct ChunkSummary {
    /// The `encodings` of the column kinds a segment holds, shared rather than allocated
    /// per column chunk (the seal writes thousands per file).
    static let deltaEncodings: [Int32] = [Encoding.deltaBinaryPacked, Encoding.rle]
    static let plainEncodings: [Int32] = [Encoding.plain, Encoding.rle]
    static let byteStreamSplitEncodings: [Int32] = [Encoding.byteStreamSplit, Encoding.rle]

    var physicalType: Int32
    var encodings: [Int32]
    var name: String
    var codec: Int32
    var numValues: Int64
    var totalUncompressedSize: Int64
    var totalCompressedSize: Int64
    var dataPageOffset: Int64
    var statistics: ChunkStatistics
}

func encodeColumnChunk(_ w: inout ThriftCompactWriter, _ c: ChunkSummary) {
    w.beginListElement()  // ColumnChunk
    w.i64(2, 0)  // file_offset: deprecated, but required in the IDL
    w.beginStruct(3)  // meta_data: optional in the IDL, yet every reader needs it
    w.i32(1, c.physicalType)
    w.i32List(2, c.encodings)
    w.stringList(3, single: c.name)
    w.i32(4, c.codec)
    w.i64(5, c.numValues)
    w.i64(6, c.totalUncompressedSize)
    w.i64(7, c.totalCompressedSize)
    w.i64(9, c.dataPageOffset)
    // 11 dictionary_page_offset is deliberately never written: some readers
    // treat any value, even 0, as "there is a dictionary page".
    w.beginStruct(12)
    encodeStatistics(&w, c.statistics)
    w.endStruct()
    w.endStruct()
    w.endStruct()
}

private func encodeStatistics(_ w: inout ThriftCompactWriter, _ s: ChunkStatistics) {
    // Deprecated 1 max / 2 min are not written: their signed ordering is wrong
    // for some types and TYPE_ORDER stats in 5/6 supersede them.
    w.i64(3, s.nullCount)
    if let max = s.maxValue { w.binary(5, max) }
    if let min = s.minValue { w.binary(6, min) }
    if let nan = s.nanCount { w.i64(9, nan) }
}

/// Serializes a v1 DATA_PAGE header.
func encodeDataPageHeader(
    _ w: inout ThriftCompactWriter, uncompressedSize: Int32, compressedSize: Int32,
    numValues: Int32, encoding: Int32
) {
    w.reset()
    w.i32(1, PageType.dataPage)
    w.i32(2, uncompressedSize)
    w.i32(3, compressedSize)
    w.beginStruct(5)
    w.i32(1, numValues)
    w.i32(2, encoding)
    w.i32(3, Encoding.rle)  // definition levels
    w.i32(4, Encoding.rle)  // repetition levels (none in a flat schema)
    w.endStruct()
    w.stop()
}
