/// Text escaping for the page. Label values are user data (anything Prometheus accepts,
/// including `<`, `&` and quotes), so every piece of text that reaches the HTML or SVG goes
/// through here; the same escape serves element text and attribute values.
enum Markup {
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters are not allowed in XML 1.0 at all (even escaped), and a
                // label value may carry them: show them as U+FFFD instead of breaking the SVG.
                if ch.value < 0x20 && ch != "\n" && ch != "\t" {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(ch)
                }
            }
        }
        return out
    }
}
