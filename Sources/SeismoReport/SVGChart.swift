import Foundation

/// One plotted series: samples in time order; a NaN value (a stale marker) breaks the line.
struct ChartLine {
    var label: String
    var points: [(second: Int64, value: Double)]
}

/// A vertical mark on the time axis (an alert firing or resolving).
struct ChartMarker {
    enum Kind { case firing, resolved }
    var second: Int64
    var kind: Kind
}

/// A time chart as inline SVG: lines, shaded intervals, vertical markers, axes with UTC
/// ticks. Static markup only (no script, no external fonts or images), so the page works
/// as a single file anywhere, including in a headless browser screenshot.
struct SVGChart {
    static let palette = ["#1f77b4", "#e6550d", "#2ca02c", "#9467bd", "#8c564b", "#17becf"]
    static let shadeColor = "#d62728"
    static let firingColor = "#d62728"
    static let resolvedColor = "#2ca02c"

    var from: Int64
    var to: Int64
    var width = 960.0
    var height = 200.0
    var lines: [ChartLine] = []
    var shades: [(from: Int64, to: Int64)] = []
    var markers: [ChartMarker] = []
    /// Fixed y range (scores are 0…1); nil = from the data.
    var yRange: (Double, Double)?
    var threshold: Double?
    var title = ""
    /// Samples further apart than this are not joined: the series was absent in between.
    var maxGapSeconds: Int64 = 300

    private let left = 64.0, right = 12.0, top = 8.0, bottom = 24.0

    func render() -> String {
        let x = LinearScale(domain: (Double(from), Double(max(to, from + 1))), range: (left, width - right))
        let (lo, hi) = yRange ?? dataRange()
        let y = LinearScale(domain: (lo, hi), range: (height - bottom, top))
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(height))\" "
            + "viewBox=\"0 0 \(n(width)) \(n(height))\" role=\"img\" aria-label=\"\(Markup.escape(title))\" "
            + "font-family=\"sans-serif\" font-size=\"11\">"
        out += "<rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(width - left - right))\" height=\"\(n(height - top - bottom))\" fill=\"#fafafa\" stroke=\"#bbb\"/>"
        out += "<clipPath id=\"c\(clipID)\"><rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(width - left - right))\" height=\"\(n(height - top - bottom))\"/></clipPath>"
        out += "<g clip-path=\"url(#c\(clipID))\">"
        for s in shades where s.to > from && s.from < to {
            let x0 = x.map(Double(max(s.from, from))), x1 = x.map(Double(min(s.to, to)))
            out += "<rect class=\"interval\" x=\"\(n(x0))\" y=\"\(n(top))\" width=\"\(n(max(x1 - x0, 1)))\" height=\"\(n(height - top - bottom))\" fill=\"\(Self.shadeColor)\" fill-opacity=\"0.14\"/>"
        }
        out += "</g>"
        out += axes(x: x, y: y, lo: lo, hi: hi)
        out += "<g clip-path=\"url(#c\(clipID))\" fill=\"none\" stroke-width=\"1.6\" stroke-linejoin=\"round\">"
        if let threshold, threshold >= lo, threshold <= hi {
            out += "<line class=\"threshold\" x1=\"\(n(left))\" x2=\"\(n(width - right))\" y1=\"\(n(y.map(threshold)))\" y2=\"\(n(y.map(threshold)))\" stroke=\"#777\" stroke-dasharray=\"4 3\"/>"
        }
        for (k, line) in lines.enumerated() {
            let d = path(line.points, x: x, y: y)
            guard !d.isEmpty else { continue }
            out += "<path class=\"series\" d=\"\(d)\" stroke=\"\(Self.palette[k % Self.palette.count])\"/>"
        }
        out += "</g>"
        for m in markers where m.second >= from && m.second <= to {
            let px = n(x.map(Double(m.second)))
            let (color, text) = m.kind == .firing ? (Self.firingColor, "firing") : (Self.resolvedColor, "resolved")
            out += "<line class=\"\(text)\" x1=\"\(px)\" x2=\"\(px)\" y1=\"\(n(top))\" y2=\"\(n(height - bottom))\" stroke=\"\(color)\" stroke-width=\"2\" stroke-dasharray=\"6 3\"/>"
            out += "<text x=\"\(px)\" y=\"\(n(top + 11))\" dx=\"3\" fill=\"\(color)\">\(text)</text>"
        }
        return out + "</svg>"
    }

    /// Distinct per chart so several charts on one page do not share a clip path.
    private var clipID: String {
        var h: UInt64 = 1469598103934665603
        for b in "\(title)|\(from)|\(to)|\(height)|\(lines.map(\.label))".utf8 { h = (h ^ UInt64(b)) &* 1099511628211 }
        return String(h, radix: 36)
    }

    private func dataRange() -> (Double, Double) {
        var lo = Double.infinity, hi = -Double.infinity
        for line in lines {
            for p in line.points where p.value.isFinite && p.second >= from && p.second <= to {
                lo = min(lo, p.value)
                hi = max(hi, p.value)
            }
        }
        if let threshold { lo = min(lo, threshold); hi = max(hi, threshold) }
        return lo <= hi ? Ticks.paddedRange(lo, hi) : (0, 1)
    }

    private func axes(x: LinearScale, y: LinearScale, lo: Double, hi: Double) -> String {
        var out = "<g fill=\"#444\">"
        for v in Ticks.values(lo, hi) {
            let py = n(y.map(v))
            out += "<line x1=\"\(n(left - 4))\" x2=\"\(n(width - right))\" y1=\"\(py)\" y2=\"\(py)\" stroke=\"#e2e2e2\"/>"
            out += "<text x=\"\(n(left - 6))\" y=\"\(py)\" dy=\"4\" text-anchor=\"end\">\(Markup.escape(Format.value(v)))</text>"
        }
        let step = Ticks.timeStep(span: to - from)
        for t in Ticks.times(from: from, to: to) {
            let at = x.map(Double(t))
            let px = n(at)
            // A label centred on a tick near the right edge would be cut off by the frame.
            let anchor = at > width - right - 28 ? "end" : "middle"
            out += "<line x1=\"\(px)\" x2=\"\(px)\" y1=\"\(n(height - bottom))\" y2=\"\(n(height - bottom + 4))\" stroke=\"#888\"/>"
            out += "<text x=\"\(px)\" y=\"\(n(height - 6))\" text-anchor=\"\(anchor)\">\(step >= 86400 ? Format.day(t) : Format.clock(t, withSeconds: step < 60))</text>"
        }
        return out + "</g>"
    }

    /// The line as an SVG path. With more samples than pixel columns, each column keeps
    /// its minimum and maximum (in time order), so a one-second spike stays visible.
    func path(_ points: [(second: Int64, value: Double)], x: LinearScale, y: LinearScale) -> String {
        let visible = points.filter { $0.second >= from - maxGapSeconds && $0.second <= to + maxGapSeconds }
        let columns = Int(width - left - right)
        let reduced = visible.count > 2 * columns ? Self.minMaxPerColumn(visible, x: x) : visible
        var d = ""
        var previous: Int64?
        for p in reduced {
            guard p.value.isFinite else {
                previous = nil
                continue
            }
            let joined = previous.map { p.second - $0 <= maxGapSeconds } ?? false
            d += (joined ? "L" : "M") + n(x.map(Double(p.second))) + " " + n(y.map(p.value))
            // A lone sample would draw nothing: give it a short tick so it shows.
            if !joined { d += "h0.01" }
            previous = p.second
        }
        return d
    }

    static func minMaxPerColumn(_ points: [(second: Int64, value: Double)], x: LinearScale) -> [(second: Int64, value: Double)] {
        var out: [(second: Int64, value: Double)] = []
        var column = Int.min
        var lo: (second: Int64, value: Double)?
        var hi: (second: Int64, value: Double)?
        func emit() {
            guard let a = lo, let b = hi else { return }
            if a.second == b.second { out.append(a) } else if a.second < b.second { out += [a, b] } else { out += [b, a] }
        }
        for p in points {
            guard p.value.isFinite else {
                emit()
                lo = nil; hi = nil
                column = Int.min
                out.append(p)  // keep the break
                continue
            }
            let c = Int(x.map(Double(p.second)))
            if c != column {
                emit()
                column = c
                lo = p; hi = p
            } else {
                if p.value < lo!.value { lo = p }
                if p.value > hi!.value { hi = p }
            }
        }
        emit()
        return out
    }

    private func n(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(r)
    }
}
