/// Times given on the command line, in `start`/`end` parameters and in label files:
/// RFC 3339 (`2020-01-14T20:25:25Z`, `…+01:00`, fractional seconds) or Unix seconds
/// (`1579033525`, `1579033525.5`). Parsed to milliseconds without Foundation's date
/// formatters, whose accepted forms differ between platforms.
public enum ExportTime {
    /// Milliseconds since the epoch; throws a message naming the text and what is wrong.
    public static func parseMilliseconds(_ raw: String) throws -> Int64 {
        let text = raw.trimmingSpaces
        guard !text.isEmpty else { throw ExportError("empty time") }
        if let ms = unixMilliseconds(text) {
            // Beyond year 9999 (as RFC 3339) a time is a typo, and past 2^53 ms the JSON
            // number it is stored as (StoredIntervals) could not keep its milliseconds.
            guard ms.magnitude <= maxMilliseconds.magnitude else {
                throw ExportError("time \(text.debugDescription) is beyond year 9999 (Unix seconds up to 253402300799)")
            }
            return ms
        }
        if let ms = try rfc3339Milliseconds(text) { return ms }
        throw ExportError("time \(text.debugDescription) is neither Unix seconds nor RFC 3339 (e.g. 2020-01-14T20:25:25Z)")
    }

    /// 9999-12-31T23:59:59.999Z.
    static let maxMilliseconds: Int64 = 253_402_300_799_999

    /// "123", "-5", "123.456" (sub-millisecond digits are truncated toward negative infinity).
    static func unixMilliseconds(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        var i = 0
        var negative = false
        if i < bytes.count && (bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+")) {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        var whole: Int64 = 0
        var digits = 0
        while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
            let (m, o1) = whole.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int64(bytes[i] - 48))
            guard !o1, !o2, s < Int64.max / 1000 else { return nil }
            whole = s
            digits += 1
            i += 1
        }
        var fractionMs: Int64 = 0
        var fractionRest = false
        if i < bytes.count && bytes[i] == UInt8(ascii: ".") {
            i += 1
            var scale: Int64 = 100
            var fdigits = 0
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
                if scale > 0 { fractionMs += Int64(bytes[i] - 48) * scale } else if bytes[i] != 48 { fractionRest = true }
                scale /= 10
                fdigits += 1
                i += 1
            }
            guard fdigits > 0 else { return nil }
        }
        guard digits > 0, i == bytes.count else { return nil }
        let ms = whole * 1000 + fractionMs
        // Negative times: truncating the magnitude would round toward zero; floor instead.
        return negative ? -ms - (fractionRest ? 1 : 0) : ms
    }

    /// nil when the text does not look like a date at all; throws when it does but is invalid.
    static func rfc3339Milliseconds(_ text: String) throws -> Int64? {
        let b = Array(text.utf8)
        func num(_ at: Int, _ n: Int) -> Int? {
            guard at + n <= b.count else { return nil }
            var v = 0
            for k in at..<(at + n) {
                guard b[k] >= 48, b[k] <= 57 else { return nil }
                v = v * 10 + Int(b[k] - 48)
            }
            return v
        }
        guard b.count >= 10, let year = num(0, 4), b[4] == UInt8(ascii: "-"), let month = num(5, 2),
              b[7] == UInt8(ascii: "-"), let day = num(8, 2) else { return nil }
        func bad(_ why: String) -> ExportError { ExportError("time \(text.debugDescription): \(why)") }
        guard b.count >= 20, b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
              let hour = num(11, 2), b[13] == UInt8(ascii: ":"), let minute = num(14, 2), b[16] == UInt8(ascii: ":"),
              let second = num(17, 2) else {
            throw bad("RFC 3339 needs date, time and zone, e.g. 2020-01-14T20:25:25Z")
        }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year, month) else { throw bad("no such date") }
        guard hour < 24, minute < 60, second < 61 else { throw bad("time of day out of range") }
        var i = 19
        var fractionMs = 0
        if i < b.count && b[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 100
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                fractionMs += Int(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { throw bad("empty fraction of a second") }
        }
        guard i < b.count else { throw bad("missing time zone (Z or ±hh:mm)") }
        var offsetSeconds = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard let oh = num(i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"), let om = num(i + 4, 2), oh < 24, om < 60 else {
                throw bad("time zone offset must be ±hh:mm")
            }
            offsetSeconds = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        } else {
            throw bad("missing time zone (Z or ±hh:mm)")
        }
        guard i == b.count else { throw bad("unexpected text after the time zone") }
        // A leap second (:60) is read as the next second's start, as Go's time.Parse does not
        // accept it at all and Prometheus has no leap seconds either.
        let days = daysFromCivil(year, month, day)
        let seconds = Int64(days) * 86400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetSeconds)
        return seconds * 1000 + Int64(fractionMs)
    }

    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    /// Also used by `seismo replay` for NAB's timestamps.
    public static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// RFC 3339 UTC text of a whole second, for messages and the export metadata.
    public static func rfc3339(seconds: Int64) -> String {
        let days = Int(floorDiv(seconds, 86400))
        let rem = Int(seconds - Int64(days) * 86400)
        // Inverse of daysFromCivil.
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d))T\(two(rem / 3600)):\(two(rem / 60 % 60)):\(two(rem % 60))Z"
    }
}

@inline(__always)
func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

@inline(__always)
func ceilDiv(_ a: Int64, _ b: Int64) -> Int64 { -floorDiv(-a, b) }

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" || f == "\n" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" || l == "\n" { s.removeLast() }
        return String(s)
    }
}
