import Foundation

/// Maps a data interval linearly onto a pixel interval. A degenerate domain (a flat line,
/// one point) maps to the middle of the range instead of dividing by zero.
struct LinearScale {
    let d0: Double, d1: Double
    let r0: Double, r1: Double

    init(domain: (Double, Double), range: (Double, Double)) {
        (d0, d1) = domain
        (r0, r1) = range
    }

    func map(_ v: Double) -> Double {
        guard d1 != d0 else { return (r0 + r1) / 2 }
        return r0 + (v - d0) / (d1 - d0) * (r1 - r0)
    }
}

enum Ticks {
    /// Round tick values (1, 2 or 5 × 10ⁿ apart) covering [lo, hi], about `count` of them.
    static func values(_ lo: Double, _ hi: Double, count: Int = 4) -> [Double] {
        guard lo.isFinite, hi.isFinite, hi > lo, count > 0 else { return lo.isFinite ? [lo] : [] }
        let raw = (hi - lo) / Double(count)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var out: [Double] = []
        var v = (lo / step).rounded(.up) * step
        while v <= hi + step * 1e-9 {
            out.append(abs(v) < step * 1e-9 ? 0 : v)
            v += step
        }
        return out
    }

    /// The y range a chart shows for values in [lo, hi]: widened to the outer ticks so the
    /// line never touches the frame, and a flat series gets a visible band around it.
    static func paddedRange(_ lo: Double, _ hi: Double) -> (Double, Double) {
        guard lo.isFinite, hi.isFinite else { return (0, 1) }
        if hi == lo {
            let d = lo == 0 ? 1 : abs(lo) * 0.1
            return (lo - d, hi + d)
        }
        let pad = (hi - lo) * 0.05
        return (lo - pad, hi + pad)
    }

    /// Time ticks at a round step (1 s … 1 day) for a span of `seconds`, ≤ ~`count` ticks.
    static func timeStep(span seconds: Int64, count: Int = 8) -> Int64 {
        let steps: [Int64] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]
        for s in steps where seconds / s <= Int64(count) { return s }
        return max(86400, (seconds / Int64(count) / 86400 + 1) * 86400)
    }

    static func times(from: Int64, to: Int64, count: Int = 8) -> [Int64] {
        guard to > from else { return [from] }
        let step = timeStep(span: to - from, count: count)
        var t = (from + step - 1).floorDiv(step) * step
        var out: [Int64] = []
        while t <= to {
            out.append(t)
            t += step
        }
        return out
    }
}

enum Format {
    /// Compact axis numbers: 1.5M, 230k, 0.25, 1e-06.
    static func value(_ v: Double) -> String {
        guard v.isFinite else { return v.isNaN ? "NaN" : (v > 0 ? "+Inf" : "-Inf") }
        let a = abs(v)
        if a == 0 { return "0" }
        let units: [(Double, String)] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
        for (size, suffix) in units where a >= size { return trim(v / size) + suffix }
        if a < 1e-3 { return String(format: "%.2g", v) }
        return trim(v)
    }

    /// Up to three significant decimals, trailing zeros dropped.
    private static func trim(_ v: Double) -> String {
        var s = String(format: abs(v) >= 100 ? "%.0f" : abs(v) >= 10 ? "%.1f" : "%.3f", v)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }

    /// UTC clock time for axis ticks: HH:MM, or HH:MM:SS when the step is under a minute.
    static func clock(_ second: Int64, withSeconds: Bool) -> String {
        var t = time_t(second)
        var parts = tm()
        gmtime_r(&t, &parts)
        return withSeconds ? String(format: "%02d:%02d:%02d", parts.tm_hour, parts.tm_min, parts.tm_sec)
                           : String(format: "%02d:%02d", parts.tm_hour, parts.tm_min)
    }

    /// UTC month and day for ticks a day or more apart: 12-01.
    static func day(_ second: Int64) -> String {
        var t = time_t(second)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(format: "%02d-%02d", parts.tm_mon + 1, parts.tm_mday)
    }

    /// Full UTC time for tables: 2026-12-01 03:14:15Z.
    static func timestamp(_ second: Int64) -> String {
        var t = time_t(second)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec)
    }

    /// A duration as a person reads it: 45 s, 3 min 20 s, 2 h 5 min.
    static func duration(_ seconds: Int64) -> String {
        let sign = seconds < 0 ? "−" : ""
        let s = abs(seconds)
        if s < 60 { return "\(sign)\(s) s" }
        if s < 3600 { return s % 60 == 0 ? "\(sign)\(s / 60) min" : "\(sign)\(s / 60) min \(s % 60) s" }
        return "\(sign)\(s / 3600) h \((s % 3600) / 60) min"
    }
}

extension Int64 {
    func floorDiv(_ d: Int64) -> Int64 { self >= 0 ? self / d : (self - d + 1) / d }
}
