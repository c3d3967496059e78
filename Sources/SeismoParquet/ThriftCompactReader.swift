/// Decoder for the Thrift compact protocol over an in-memory byte array (a
/// footer or a page header). Every read is bounds-checked and reports the
/// absolute file offset, because the input may be any garbage found on disk.
/// Unknown fields are skipped, so files from newer or richer writers (pyarrow
/// adds page statistics, size statistics, encoding stats, ...) still parse.
struct ThriftCompactReader {
    let data: [UInt8]
    private(set) var pos: Int
    let end: Int
    /// File offset of `data[0]`, for error messages.
    let fileOffset: Int64
    let path: String
    let errorKind: ParquetError.Kind
    /// Garbage can encode arbitrarily deep nesting; cap recursion well above
    /// anything parquet.thrift needs so skipping cannot overflow the stack.
    static let maxDepth = 32

    init(data: [UInt8], start: Int = 0, end: Int? = nil, fileOffset: Int64, path: String, errorKind: ParquetError.Kind) {
        self.data = data
        self.pos = start
        self.end = end ?? data.count
        self.fileOffset = fileOffset
        self.path = path
        self.errorKind = errorKind
    }

    var remaining: Int { end - pos }
    var absolutePosition: Int64 { fileOffset + Int64(pos) }

    func error(_ message: String) -> ParquetError {
        ParquetError(errorKind, path: path, offset: absolutePosition, message)
    }

    mutating func byte() throws -> UInt8 {
        guard pos < end else { throw error("Thrift data ends early") }
        defer { pos += 1 }
        return data[pos]
    }

    mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64, shift < 63 || b <= 1 else { throw error("varint longer than 64 bits") }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
    }

    mutating func zigzag() throws -> Int64 {
        let v = try varint()
        return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
    }

    mutating func i32() throws -> Int32 {
        let v = try zigzag()
        guard let r = Int32(exactly: v) else { throw error("i32 value \(v) out of range") }
        return r
    }

    mutating func i16() throws -> Int16 {
        let v = try zigzag()
        guard let r = Int16(exactly: v) else { throw error("i16 value \(v) out of range") }
        return r
    }

    mutating func binary() throws -> ArraySlice<UInt8> {
        let n = try varint()
        guard n <= UInt64(remaining) else { throw error("binary length \(n) exceeds the \(remaining) bytes left") }
        let start = pos
        pos += Int(n)
        return data[start..<pos]
    }

    mutating func string() throws -> String {
        String(decoding: try binary(), as: UTF8.self)
    }

    /// Next field header of the current struct, or nil at its stop byte.
    /// `last` is the previous field id of this struct (0 at the start).
    mutating func field(_ last: inout Int16) throws -> (id: Int16, type: UInt8)? {
        let b = try byte()
        if b == 0 { return nil }
        let type = b & 0x0F
        let delta = b >> 4
        let id: Int16
        if delta == 0 {
            id = try i16()
        } else {
            let (sum, overflow) = last.addingReportingOverflow(Int16(delta))
            guard !overflow else { throw error("field id overflow") }
            id = sum
        }
        last = id
        return (id, type)
    }

    mutating func listHeader() throws -> (elementType: UInt8, count: Int) {
        let b = try byte()
        var count = UInt64(b >> 4)
        if count == 15 { count = try varint() }
        // Every element takes at least one byte, so a larger count is garbage;
        // checking it here stops a hostile count from driving a huge allocation.
        guard count <= UInt64(remaining) else { throw error("list of \(count) elements exceeds the \(remaining) bytes left") }
        return (b & 0x0F, Int(count))
    }

    /// Checks that a known field has the type parquet.thrift gives it.
    func expect(_ type: UInt8, _ wanted: UInt8, field: Int16) throws {
        let ok = type == wanted || (wanted == ThriftType.boolTrue && type == ThriftType.boolFalse)
        guard ok else { throw error("field \(field) has Thrift type \(type), expected \(wanted)") }
    }

    /// Skips one value of `type`. `inContainer` matters only for bools, which
    /// take a byte inside lists/sets/maps but none as a struct field.
    mutating func skip(_ type: UInt8, inContainer: Bool = false, depth: Int = 0) throws {
        guard depth < Self.maxDepth else { throw error("Thrift nesting deeper than \(Self.maxDepth)") }
        switch type {
        case ThriftType.boolTrue, ThriftType.boolFalse:
            if inContainer { _ = try byte() }
        case ThriftType.i8:
            _ = try byte()
        case ThriftType.i16, ThriftType.i32, ThriftType.i64:
            _ = try varint()
        case ThriftType.double:
            try advance(8)
        case ThriftType.uuid:
            try advance(16)
        case ThriftType.binary:
            _ = try binary()
        case ThriftType.list, ThriftType.set:
            let (elementType, count) = try listHeader()
            for _ in 0..<count { try skip(elementType, inContainer: true, depth: depth + 1) }
        case ThriftType.map:
            let count = try varint()
            guard count <= UInt64(remaining) else { throw error("map of \(count) entries exceeds the data left") }
            if count > 0 {
                let types = try byte()
                for _ in 0..<count {
                    try skip(types >> 4, inContainer: true, depth: depth + 1)
                    try skip(types & 0x0F, inContainer: true, depth: depth + 1)
                }
            }
        case ThriftType.structure:
            var last: Int16 = 0
            while let f = try field(&last) { try skip(f.type, depth: depth + 1) }
        default:
            throw error("unknown Thrift type \(type)")
        }
    }

    mutating func advance(_ n: Int) throws {
        guard n <= remaining else { throw error("Thrift data ends early") }
        pos += n
    }
}
