/// Parses Prometheus-style durations: `90s`, `10m`, `1h30m`, `7d`, `2w`; a bare number is seconds.
enum Durations {
    static func seconds(_ text: String) -> Int64? {
        let t = text.trimmingCharacters(in: " ")
        if t.isEmpty { return nil }
        if let n = Int64(t) { return n }
        var total: Int64 = 0
        var number = ""
        var sawUnit = false
        var i = t.startIndex
        while i < t.endIndex {
            let c = t[i]
            if c.isNumber {
                number.append(c)
                i = t.index(after: i)
                continue
            }
            guard let n = Int64(number) else { return nil }
            let unit: Int64
            if t[i...].hasPrefix("ms") {
                return nil  // sub-second durations have no meaning for a per-second store
            }
            switch c {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3600
            case "d": unit = 86_400
            case "w": unit = 604_800
            case "y": unit = 31_536_000
            default: return nil
            }
            total += n * unit
            number = ""
            sawUnit = true
            i = t.index(after: i)
        }
        return number.isEmpty && sawUnit ? total : nil
    }

    static func format(_ seconds: Int64) -> String {
        if seconds == 0 { return "0s" }
        var s = seconds
        var out = ""
        for (unit, name) in [(Int64(86_400), "d"), (3600, "h"), (60, "m"), (1, "s")] where s >= unit {
            out += "\(s / unit)\(name)"
            s %= unit
        }
        return out
    }
}

/// Parses byte sizes: `33554432`, `32MiB`, `64KiB`, `1GiB`.
enum ByteSizes {
    static func bytes(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: " ")
        if let n = Int(t) { return n }
        for (suffix, mult) in [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000)]
        where t.hasSuffix(suffix) {
            return Int(t.dropLast(suffix.count).trimmingCharacters(in: " ")).map { $0 * mult }
        }
        return nil
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }
}
