/// The query string of a request URI as (name, value) pairs in order, percent- and
/// `+`-decoded (`match[]` may repeat, so this is not a dictionary).
struct QueryParameters {
    let pairs: [(name: String, value: String)]

    init(uri: String) {
        guard let q = uri.firstIndex(of: "?") else {
            pairs = []
            return
        }
        pairs = uri[uri.index(after: q)...].split(separator: "&", omittingEmptySubsequences: true).map { part in
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (Self.decode(kv[0]), kv.count > 1 ? Self.decode(kv[1]) : "")
        }
    }

    func all(_ name: String) -> [String] { pairs.filter { $0.name == name }.map(\.value) }
    func first(_ name: String) -> String? { pairs.first { $0.name == name }?.value }

    /// Percent-decoding; a malformed escape is kept literally (the value is then simply wrong,
    /// and whatever parses it reports the problem with the text it saw).
    static func decode(_ s: Substring) -> String {
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if b == UInt8(ascii: "%"), it.count >= 2, let h = hex(it[it.startIndex]), let l = hex(it[it.startIndex + 1]) {
                bytes.append(h << 4 | l)
                it = it.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 65...70: return c - 55
        case 97...102: return c - 87
        default: return nil
        }
    }
}
