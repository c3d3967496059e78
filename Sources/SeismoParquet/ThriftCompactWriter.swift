/// Type nibbles of the Thrift compact protocol (thrift-compact-protocol.md).
enum ThriftType {
    static let boolTrue: UInt8 = 1
    static let boolFalse: UInt8 = 2
    static let i8: UInt8 = 3
    static let i16: UInt8 = 4
    static let i32: UInt8 = 5
    static let i64: UInt8 = 6
    static let double: UInt8 = 7
    static let binary: UInt8 = 8
    static let list: UInt8 = 9
    static let set: UInt8 = 10
    static let map: UInt8 = 11
    static let structure: UInt8 = 12
    static let uuid: UInt8 = 13
}

/// Encoder for the Thrift compact protocol, limited to what Parquet metadata
/// uses. There is no IDL compiler here: the metadata encoders call these methods
/// in ascending field-id order, which keeps every field header in the 1-byte
/// short form.
struct ThriftCompactWriter {
    var bytes: [UInt8] = []
    /// Field ids are delta-coded against the previous field of the *same*
    /// struct, so nested structs save and restore the enclosing struct's id.
    private var lastField: Int16 = 0
    private var stack: [Int16] = []

    init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        lastField = 0
        stack.removeAll(keepingCapacity: true)
    }

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func zigzag(_ value: Int64) {
        varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    private mutating func fieldHeader(_ id: Int16, _ type: UInt8) {
        let delta = Int(id) - Int(lastField)
        if delta > 0 && delta <= 15 {
            bytes.append(UInt8(delta) << 4 | type)
        } else {
            bytes.append(type)
            zigzag(Int64(id))
        }
        lastField = id
    }

    mutating func i16(_ id: Int16, _ value: Int16) {
        fieldHeader(id, ThriftType.i16)
        zigzag(Int64(value))
    }

    mutating func i32(_ id: Int16, _ value: Int32) {
        fieldHeader(id, ThriftType.i32)
        zigzag(Int64(value))
    }

    mutating func i64(_ id: Int16, _ value: Int64) {
        fieldHeader(id, ThriftType.i64)
        zigzag(value)
    }

    /// Compact bools carry their value in the type nibble and have no payload.
    mutating func bool(_ id: Int16, _ value: Bool) {
        fieldHeader(id, value ? ThriftType.boolTrue : ThriftType.boolFalse)
    }

    mutating func binary(_ id: Int16, _ value: [UInt8]) {
        fieldHeader(id, ThriftType.binary)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ id: Int16, _ value: String) {
        fieldHeader(id, ThriftType.binary)
        var s = value
        s.withUTF8 { utf8 in
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// Opens a struct-typed field; close it with `endStruct()`.
    mutating func beginStruct(_ id: Int16) {
        fieldHeader(id, ThriftType.structure)
        stack.append(lastField)
        lastField = 0
    }

    /// Opens a struct that is a list element (list elements have no field header).
    mutating func beginListElement() {
        stack.append(lastField)
        lastField = 0
    }

    mutating func endStruct() {
        bytes.append(0)
        lastField = stack.popLast() ?? 0
    }

    /// Ends the top-level struct.
    mutating func stop() {
        bytes.append(0)
    }

    mutating func listHeader(_ id: Int16, elementType: UInt8, count: Int) {
        fieldHeader(id, ThriftType.list)
        if count < 15 {
            bytes.append(UInt8(count) << 4 | elementType)
        } else {
            bytes.append(0xF0 | elementType)
            varint(UInt64(count))
        }
    }

    mutating func i32List(_ id: Int16, _ values: [Int32]) {
        listHeader(id, elementType: ThriftType.i32, count: values.count)
        for v in values { zigzag(Int64(v)) }
    }

    /// `stringList(id, [value])` without the array: the footer writes one per column chunk.
    mutating func stringList(_ id: Int16, single value: String) {
        listHeader(id, elementType: ThriftType.binary, count: 1)
        var s = value
        s.withUTF8 { utf8 in
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func stringList(_ id: Int16, _ values: [String]) {
        listHeader(id, elementType: ThriftType.binary, count: values.count)
        for v in values {
            var s = v
            s.withUTF8 { utf8 in
                varint(UInt64(utf8.count))
                bytes.append(contentsOf: utf8)
            }
        }
    }
}
