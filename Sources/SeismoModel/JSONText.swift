/// JSON text helpers shared by every module that writes JSON by hand (segment
/// metadata, label logs, inspect output), so each one escapes strings the same way.
///
/// They work on UTF-8 bytes, not on Unicode scalars: a seal writes the label JSON of
/// every series in the segment, and appending scalar by scalar cost ~37k instructions
/// per series (callgrind, 2026-12-01). Bytes ≥ 0x80 are copied as they are, which keeps
/// every multi-byte sequence of the (valid UTF-8) input intact.
public enum JSONText {
    /// `s` as a JSON string literal, quotes included, with the escapes JSON requires
    /// (quote, backslash, and every control character below U+0020).
    public static func quoted(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 2)
        appendQuoted(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// A label set as a JSON object, in the order given.
    public static func object(_ labels: [(name: String, value: String)]) -> String {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (i, label) in labels.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            appendQuoted(label.name, to: &out)
            out.append(UInt8(ascii: ":"))
            appendQuoted(label.value, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(b)
            case UInt8(ascii: "\n"):
                out.append(UInt8(ascii: "\\"))
                out.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"):
                out.append(UInt8(ascii: "\\"))
                out.append(UInt8(ascii: "r"))
            case UInt8(ascii: "\t"):
                out.append(UInt8(ascii: "\\"))
                out.append(UInt8(ascii: "t"))
            case 0..<0x20:
                // \u00XX with lowercase hex digits.
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            default:
                out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
