/// Everything wrong with one rules file. The parser keeps going after a problem, so one
/// `seismo check rules` run lists all of them rather than one per edit-and-retry cycle.
public struct RuleFileError: Error, CustomStringConvertible, Equatable {
    public struct Problem: Equatable, Sendable, CustomStringConvertible {
        /// 1-based line in the file, when the YAML parser knows it.
        public var line: Int?
        /// Which rule and field, e.g. `rule 2 ("DiskFull") field threshold: must be in [0, 1]`.
        public var message: String

        public var description: String { message }
    }

    /// The file path (or another name for the text, e.g. "<built-in>").
    public var source: String
    public var problems: [Problem]

    /// One `FILE:LINE: problem` line per problem, the form editors and CI logs link.
    public var description: String {
        problems.map { p in
            if let line = p.line { return "\(source):\(line): \(p.message)" }
            return "\(source): \(p.message)"
        }.joined(separator: "\n")
    }
}

/// Prometheus-style durations in whole seconds: `30s`, `5m`, `1h30m`, `2d`, or a bare
/// integer (seconds). Rules run on per-second data, so `ms` units are refused rather than
/// silently rounded.
enum RuleDuration {
    static func seconds(_ text: String) -> Int64? {
        if let n = Int64(text) { return n >= 0 ? n : nil }
        var total: Int64 = 0
        var digits = ""
        var sawUnit = false
        let scalars = Array(text.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if ("0"..."9").contains(c) {
                digits.unicodeScalars.append(c)
                i += 1
                continue
            }
            guard let n = Int64(digits) else { return nil }
            if c == "m", i + 1 < scalars.count, scalars[i + 1] == "s" { return nil }
            let unit: Int64
            switch c {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3600
            case "d": unit = 86_400
            case "w": unit = 604_800
            default: return nil
            }
            let (product, o1) = n.multipliedReportingOverflow(by: unit)
            let (sum, o2) = total.addingReportingOverflow(product)
            if o1 || o2 { return nil }
            total = sum
            digits = ""
            sawUnit = true
            i += 1
        }
        return digits.isEmpty && sawUnit ? total : nil
    }
}
