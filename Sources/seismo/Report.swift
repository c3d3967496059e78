import ArgumentParser
import Foundation
import SeismoAlerting
import SeismoExport
import SeismoModel
import SeismoReport

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an HTML report of alerts and labeled anomaly intervals (charts, detection delay, false alerts, misses).",
        discussion: """
        One self-contained HTML file (inline SVG, no scripts or external assets). For each alert \
        in the range (from DIR/alerts/events.log) and each labeled anomaly interval no alert \
        overlapped (from DIR/labels/intervals.log): the group's top series around the event, \
        labeled intervals shaded, firing/resolved marked, the group score underneath. \
        Reads the data directory without its lock, like `seismo export`. See docs/report.md.
        """
    )

    @Option(help: "Data directory.")
    var data: String = "./data"

    @Option(help: "First second (RFC 3339 or Unix seconds). (default: first second with data)")
    var from: String?

    @Option(help: "End of the range, exclusive (RFC 3339 or Unix seconds). (default: after the last second with data)")
    var to: String?

    @Option(name: .customLong("match"), help: "Prometheus series selector; only alerts whose top series matches, and only matching series plotted. Repeatable.")
    var match: [String] = []

    @Option(help: "Rules file: draws each rule's threshold and picks group members by its selectors.")
    var rules: String?

    @Option(help: "Context shown before and after each event, e.g. 5m.")
    var pad: String = "5m"

    @Option(help: "Output HTML file, or - for stdout.")
    var output: String = "report.html"

    func run() throws {
        var o = ReportOptions()
        do {
            o.fromMs = try from.map { try ExportTime.parseMilliseconds($0) }
            o.toMs = try to.map { try ExportTime.parseMilliseconds($0) }
            o.selectors = try match.map { text in
                do { return try SeriesSelector.parse(text) } catch { throw ValidationError("--match: \(error)") }
            }
        } catch let e as ExportError {
            throw ValidationError(e.description)
        }
        if let rules {
            do { o.rules = try RuleSet.load(path: rules) } catch { throw ValidationError("--rules: \(error)") }
        }
        guard let pad = Durations.seconds(pad), pad >= 0 else { throw ValidationError("--pad \(self.pad.debugDescription) is not a duration") }
        o.padSeconds = pad
        o.sourceDescription = "data directory \(data)"
        let report: Report
        do {
            report = try ReportBuilder.build(source: DirectorySource(path: data), dataDirectory: data, options: o)
        } catch let e as ExportError {
            throw ValidationError(e.description)
        }
        var html = report.html
        if output == "-" {
            try html.withUTF8 { try AtomicOutput.writeAll(1, UnsafeRawBufferPointer($0), name: "stdout") }
        } else {
            try AtomicOutput.write(to: output) { out in try html.withUTF8 { try out(UnsafeRawBufferPointer($0)) } }
        }
    }
}
