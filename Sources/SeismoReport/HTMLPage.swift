import Foundation

/// The report as one self-contained HTML file: inline CSS and SVG, no script, no external
/// fonts, images or stylesheets, so it can be mailed, attached to a ticket or opened
/// offline and looks the same everywhere.
enum HTMLPage {
    static let style = """
    body{font-family:sans-serif;margin:24px;color:#222;max-width:1000px}
    h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 6px}
    .sub{color:#666;font-size:13px;margin-bottom:14px}
    table{border-collapse:collapse;font-size:13px;margin:8px 0}
    th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
    th{background:#f0f0f0}
    .num{text-align:right}.missed{color:#b00}.false{color:#b00}
    .panel{border-top:1px solid #ddd;padding-top:4px}
    dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px;font-size:13px;margin:6px 0}
    dt{color:#666}dd{margin:0}
    .legend{font-size:12px;margin:2px 0 0;padding:0;list-style:none}
    .legend li{margin:1px 0;word-break:break-all}
    .sw{display:inline-block;width:14px;height:3px;margin-right:6px;vertical-align:middle}
    .caption{font-size:12px;color:#666;margin:10px 0 0}
    """

    static func render(_ r: Report) -> String {
        var h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        h += "<title>Seismo report \(e(Format.timestamp(r.fromSecond))) – \(e(Format.timestamp(r.toSecond)))</title>"
        h += "<style>\(style)</style></head><body>\n"
        h += "<h1>Seismo report</h1><div class=\"sub\">\(e(Format.timestamp(r.fromSecond))) – \(e(Format.timestamp(r.toSecond)))"
        if !r.options.sourceDescription.isEmpty { h += " · \(e(r.options.sourceDescription))" }
        if !r.options.selectors.isEmpty { h += " · match: \(e(r.options.selectors.map(\.description).joined(separator: " or ")))" }
        h += "</div>\n"
        h += summary(r)
        h += "<div class=\"caption\">Shaded: labeled anomaly intervals. Dashed lines: alert firing (red) and resolved (green). "
            + "Times are UTC data seconds; the dashed grey line in score charts is the rule's threshold.</div>\n"
        h += panel(r.overview, index: 0)
        if r.panels.isEmpty {
            h += "<p>No alerts and no labeled anomaly intervals in this range.</p>\n"
        }
        for (k, p) in r.panels.enumerated() { h += panel(p, index: k + 1) }
        if r.skippedEventLines > 0 {
            h += "<p class=\"caption\">\(r.skippedEventLines) unreadable line(s) in the alert event log were skipped.</p>\n"
        }
        return h + "</body></html>\n"
    }

    private static func summary(_ r: Report) -> String {
        let ev = r.evaluation
        var h = "<h2>Summary</h2><table class=\"summary\"><tr><th>alerts</th><th>labeled intervals</th><th>detected</th>"
            + "<th>missed intervals</th><th>false alerts</th><th>mean detection delay</th></tr>"
        let mean = ev.meanDelaySeconds.map { Format.duration(Int64($0.rounded())) } ?? "–"
        h += "<tr><td class=\"num\">\(r.alerts.count)</td><td class=\"num\">\(r.intervals.count)</td>"
            + "<td class=\"num\">\(ev.detected)</td><td class=\"num\">\(ev.missed)</td>"
            + "<td class=\"num\">\(ev.falseAlerts.count)</td><td class=\"num\">\(e(mean))</td></tr></table>\n"
        if !r.intervals.isEmpty {
            h += "<table class=\"intervals\"><tr><th>interval</th><th>type</th><th>first firing</th><th>detection delay</th></tr>"
            for row in ev.intervals {
                let i = row.interval
                let first = row.alerts.map { r.alerts[$0].firedSecond }.min()
                h += "<tr><td>\(e(Format.timestamp(i.firstSecond))) – \(e(Format.timestamp(i.endSecond)))</td>"
                    + "<td>\(e(i.anomalyType ?? ""))</td>"
                    + "<td>\(first.map { e(Format.timestamp($0)) } ?? "<span class=\"missed\">missed</span>")</td>"
                    + "<td class=\"num\">\(row.delaySeconds.map { e(Format.duration($0)) } ?? "–")</td></tr>"
            }
            h += "</table>\n"
        }
        if !r.alerts.isEmpty {
            h += "<table class=\"alerts\"><tr><th>alert</th><th>group</th><th>firing</th><th>resolved</th><th>labeled interval</th></tr>"
            let falseSet = Set(ev.falseAlerts)
            for (k, a) in r.alerts.enumerated() {
                h += "<tr><td>\(e(a.labels["alertname"] ?? a.rule))</td>"
                    + "<td>\(e(a.group.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")))</td>"
                    + "<td>\(e(Format.timestamp(a.firedSecond)))</td>"
                    + "<td>\(e(a.resolvedSecond.map(Format.timestamp) ?? "still firing"))</td>"
                    + "<td>\(falseSet.contains(k) ? "<span class=\"false\">none (false alert)</span>" : "yes")</td></tr>"
            }
            h += "</table>\n"
        }
        return h
    }

    private static func panel(_ p: Report.Panel, index: Int) -> String {
        var h = "<div class=\"panel\" id=\"panel-\(index)\"><h2>\(e(p.title))</h2>"
        if !p.facts.isEmpty {
            h += "<dl>" + p.facts.map { "<dt>\(e($0.0))</dt><dd>\(e($0.1))</dd>" }.joined() + "</dl>"
        }
        if !p.data.isEmpty {
            let chart = SVGChart(from: p.from, to: p.to, height: 210, lines: p.data, shades: p.shades, markers: p.markers,
                                 title: p.title + " series")
            h += chart.render() + legend(p.data)
        }
        let scores = SVGChart(from: p.from, to: p.to, height: p.data.isEmpty ? 200 : 120, lines: p.scores, shades: p.shades,
                              markers: p.markers, yRange: (0, 1.02), threshold: p.threshold, title: p.title + " score")
        h += scores.render()
        h += p.scores.isEmpty ? "<p class=\"caption\">No group score stored in this window.</p>" : legend(p.scores)
        return h + "</div>\n"
    }

    private static func legend(_ lines: [ChartLine]) -> String {
        "<ul class=\"legend\">" + lines.enumerated().map { k, line in
            "<li><span class=\"sw\" style=\"background:\(SVGChart.palette[k % SVGChart.palette.count])\"></span>\(e(line.label))</li>"
        }.joined() + "</ul>"
    }

    private static func e(_ s: String) -> String { Markup.escape(s) }
}
