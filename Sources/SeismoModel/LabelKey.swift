/// The canonical byte encoding of a series' label set, used as its identity everywhere
/// (request merging, the series catalog, the WAL).
///
/// Layout: for each label, sorted by name (bytewise, as Prometheus sorts them):
/// `uvarint(len(name)) name uvarint(len(value)) value`. Length prefixes make the key
/// unambiguous whatever bytes a value holds, and the key sorts like the label set.
public enum LabelKey {
    /// Appends one label to a key under construction. Callers append in sorted order.
    @inlinable
    public static func append(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, to key: inout [UInt8]) {
        appendUVarint(UInt64(name.count), to: &key)
        key.append(contentsOf: name)
        appendUVarint(UInt64(value.count), to: &key)
        key.append(contentsOf: value)
    }

    /// Builds a key from label pairs (sorted here; names must be unique).
    public static func encode(_ labels: [(name: String, value: String)]) -> [UInt8] {
        var key: [UInt8] = []
        for (name, value) in labels.sorted(by: { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }) {
            appendUVarint(UInt64(name.utf8.count), to: &key)
            key.append(contentsOf: name.utf8)
            appendUVarint(UInt64(value.utf8.count), to: &key)
            key.append(contentsOf: value.utf8)
        }
        return key
    }

    /// Decodes a key back into its labels, in key (sorted) order. Returns nil if malformed.
    public static func decode(_ key: some Collection<UInt8>) -> [(name: String, value: String)]? {
        let bytes = Array(key)
        var labels: [(name: String, value: String)] = []
        var i = 0
        func readString() -> String? {
            guard let (len, n) = readUVarint(bytes, at: i) else { return nil }
            i += n
            guard len <= UInt64(bytes.count - i) else { return nil }
            let s = String(decoding: bytes[i..<i + Int(len)], as: UTF8.self)
            i += Int(len)
            return s
        }
        while i < bytes.count {
            guard let name = readString(), let value = readString() else { return nil }
            labels.append((name, value))
        }
        return labels
    }

    /// The Prometheus selector text for a label set: `name{a="x",b="y"}`, values escaped as
    /// in PromQL string literals. This is the column name in Parquet segments.
    public static func selector(_ labels: [(name: String, value: String)]) -> String {
        var metric = ""
        var rest: [String] = []
        for (name, value) in labels {
            if name == "__name__" {
                metric = value
            } else {
                rest.append("\(name)=\"\(escape(value))\"")
            }
        }
        return rest.isEmpty ? (metric.isEmpty ? "{}" : metric) : "\(metric){\(rest.joined(separator: ","))}"
    }

    /// Escapes a label value the way PromQL prints it: backslash, double quote, newline.
    public static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for ch in value.unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// The 64-bit hash of a canonical key, as the store's series index uses it. 8 bytes per step with a multiply-xorshift mix
    /// (keys are ~100 bytes). Only ever kept in memory, so it may change.
    @inlinable
    public static func hash(_ key: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(key.count)
        var i = 0
        let n = key.count
        while n - i >= 8 {
            let w = key.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = (h ^ w) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 29
            i += 8
        }
        // The last 1–7 bytes: one load of the key's final 8 bytes (overlapping bytes
        // already mixed) when the key is that long, instead of a byte loop.
        var tail: UInt64 = 0
        if i < n {
            if n >= 8 {
                tail = key.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) >> (UInt64(8 - (n - i)) * 8)
            } else {
                var shift: UInt64 = 0
                while i < n {
                    tail |= UInt64(key[i]) << shift
                    shift += 8
                    i += 1
                }
            }
        }
        h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
        h ^= h >> 32
        return h
    }
}

@inlinable
public func appendUVarint(_ value: UInt64, to out: inout [UInt8]) {
    var v = value
    while v >= 0x80 {
        out.append(UInt8(truncatingIfNeeded: v) | 0x80)
        v >>= 7
    }
    out.append(UInt8(v))
}

/// Reads an unsigned LEB128 varint; returns (value, bytes used) or nil if truncated/overlong.
@inlinable
public func readUVarint(_ bytes: [UInt8], at start: Int) -> (UInt64, Int)? {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    var i = start
    while i < bytes.count {
        let b = bytes[i]
        i += 1
        if shift == 63 && b > 1 { return nil }
        result |= UInt64(b & 0x7F) << shift
        if b < 0x80 { return (result, i - start) }
        shift += 7
        if shift > 63 { return nil }
    }
    return nil
}
