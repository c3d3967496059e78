/// JSON text helpers shared by every module that writes JSON by hand (segment
/// metadata, label logs, inspect output), so each one escapes strings the same way.
public enum JSONText {
    /// `s` as a JSON string literal, quotes included, with the escapes JSON requires
    /// (quote, backslash, and every control character below U+0020).
    public static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    /// A label set as a JSON object, in the order given.
    public static func object(_ labels: [(name: String, value: String)]) -> String {
        "{" + labels.map { "\(quoted($0.name)):\(quoted($0.value))" }.joined(separator: ",") + "}"
    }
}
