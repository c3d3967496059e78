import SeismoAlerting
import SeismoExport
import SeismoModel
import SeismoStore

public struct ReportOptions: Sendable {
    /// [fromMs, toMs); nil = the data's first / last second.
    public var fromMs: Int64?
    public var toMs: Int64?
    /// --match: only alerts whose top series matches, and only matching series plotted.
    public var selectors: [SeriesSelector] = []
    /// Thresholds to draw and selectors of each rule's group members (optional).
    public var rules: RuleSet?
    /// Context shown before and after each event.
    public var padSeconds: Int64 = 300
    /// Data series per chart.
    public var maxLines = 3
    /// Where the data came from, for the page header.
    public var sourceDescription = ""

    public init() {}
}

/// Everything the page shows, gathered from the store and the logs.
public struct Report {
    struct Panel {
        var title: String
        var facts: [(String, String)]
        var from: Int64
        var to: Int64
        var data: [ChartLine]
        var scores: [ChartLine]
        var threshold: Double?
        var shades: [(from: Int64, to: Int64)]
        var markers: [ChartMarker]
    }

    public var fromSecond: Int64
    public var toSecond: Int64
    public var alerts: [AlertSpan]
    public var intervals: [LabelInterval]
    public var evaluation: Evaluation
    public var skippedEventLines = 0
    var overview: Panel
    var panels: [Panel]
    var options: ReportOptions

    public var html: String { HTMLPage.render(self) }
}

public enum ReportBuilder {
    /// The report over a data directory's store (through `source`) and its alert history.
    public static func build(source: ExportSource, dataDirectory: String, options: ReportOptions) throws -> Report {
        let (events, skipped) = try AlertEventLog(dataDirectory: dataDirectory).read()
        var report = try build(source: source, events: events, options: options)
        report.skippedEventLines = skipped
        return report
    }

    /// Gathers a report over the range: one panel per alert, one per labeled anomaly interval
    /// no alert overlapped, an overview of the top group scores, and the summary numbers.
    public static func build(source: ExportSource, events: [AlertEvent], options: ReportOptions) throws -> Report {
        let session = try source.openSession()
        let reader = SeriesReader(session: session)
        let bounds = try session.dataBounds()
        let from = options.fromMs.map { $0.floorDiv(1000) } ?? bounds?.first ?? 0
        let to = max(options.toMs.map { ($0 + 999).floorDiv(1000) } ?? (bounds.map { $0.last + 1 } ?? from + 1), from + 1)
        let filters = try options.selectors.map { try SeriesFilter($0.matchers) }
        func matches(_ labels: [String: String]) -> Bool {
            filters.isEmpty || filters.contains { $0.matches(labels.map { (name: $0.key, value: $0.value) }.sorted { $0.name < $1.name }) }
        }

        let alerts = AlertHistory.spans(events).filter { a in
            a.firedSecond < to && a.end(openEnd: to) >= from && (filters.isEmpty || a.topSeries.contains(where: matches))
        }
        let intervals = try source.storedIntervals()
            .filter { $0.isAnomaly && $0.endSecond > from && $0.firstSecond < to }
            .sorted { $0.fromMs < $1.fromMs }
        let evaluation = Evaluation(alerts: alerts, intervals: intervals, openEnd: to)
        let shades = intervals.map { (from: $0.firstSecond, to: $0.endSecond) }
        func markers(in lo: Int64, _ hi: Int64) -> [ChartMarker] {
            alerts.flatMap { a -> [ChartMarker] in
                var m = [ChartMarker(second: a.firedSecond, kind: .firing)]
                if let r = a.resolvedSecond { m.append(ChartMarker(second: r, kind: .resolved)) }
                return m
            }.filter { $0.second >= lo && $0.second <= hi }
        }
        let builder = PanelBuilder(reader: reader, options: options, filters: filters)

        var panels: [Report.Panel] = []
        for a in alerts {
            let lo = a.firedSecond - options.padSeconds, hi = a.end(openEnd: to) + options.padSeconds
            var panel = try builder.alertPanel(a, from: lo, to: hi)
            panel.shades = shades
            panel.markers = markers(in: lo, hi)
            panels.append(panel)
        }
        for row in evaluation.intervals where row.alerts.isEmpty {
            let i = row.interval
            let lo = i.firstSecond - options.padSeconds, hi = i.endSecond + options.padSeconds
            var panel = try builder.intervalPanel(i, from: lo, to: hi)
            panel.shades = shades
            panel.markers = markers(in: lo, hi)
            panels.append(panel)
        }
        var overview = try builder.overview(from: from, to: to - 1)
        overview.shades = shades
        overview.markers = markers(in: from, to)
        return Report(fromSecond: from, toSecond: to, alerts: alerts, intervals: intervals, evaluation: evaluation,
                      overview: overview, panels: panels.sorted { $0.from < $1.from }, options: options)
    }
}

/// Picks and reads the lines of each chart.
struct PanelBuilder {
    let reader: SeriesReader
    let options: ReportOptions
    let filters: [SeriesFilter]

    private func rule(_ name: String) -> AlertRule? { options.rules?.rules.first { $0.name == name } }

    private func label(_ ref: ExportSeriesRef) -> String { ref.selector }

    func alertPanel(_ a: AlertSpan, from: Int64, to: Int64) throws -> Report.Panel {
        var chosen = a.topSeries.compactMap { reader.find($0) }
        var seen = Set(chosen.map(\.id))
        chosen = chosen.filter { ref in filters.isEmpty || filters.contains { $0.matches(ref.labels) } }
        if chosen.count < options.maxLines {
            let extra = try ranked(group: a.group, rule: a.rule, from: from, to: to,
                                   eventFrom: a.firedSecond, eventTo: a.resolvedSecond ?? to)
            for ref in extra where chosen.count < options.maxLines && !seen.contains(ref.id) {
                chosen.append(ref)
                seen.insert(ref.id)
            }
        }
        let scoreRefs = reader.scoreSeries(rule: a.rule, group: a.group)
        let data = try reader.points(Array(chosen.prefix(options.maxLines)), from: from, to: to)
        let scores = try reader.points(scoreRefs, from: from, to: to)
        var facts: [(String, String)] = [
            ("rule", a.rule),
            ("group", a.group.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")),
            ("firing", Format.timestamp(a.firedSecond)),
            ("resolved", a.resolvedSecond.map(Format.timestamp) ?? "still firing"),
        ]
        if let s = a.score { facts.append(("score at firing", Format.value(s))) }
        return Report.Panel(
            title: "Alert \(a.labels["alertname"] ?? a.rule)", facts: facts, from: from, to: to,
            data: zip(chosen, data).map { ChartLine(label: label($0.0), points: $0.1) },
            scores: zip(scoreRefs, scores).map { ChartLine(label: label($0.0), points: $0.1) },
            threshold: rule(a.rule)?.threshold, shades: [], markers: [])
    }

    func intervalPanel(_ i: LabelInterval, from: Int64, to: Int64) throws -> Report.Panel {
        let (scoreRefs, scores) = try topScores(from: i.firstSecond, to: i.endSecond - 1, window: (from, to), count: 3)
        var data: [ChartLine] = []
        var threshold: Double?
        if let top = scoreRefs.first {
            let ruleName = top.labels.first { $0.name == "rule" }?.value ?? ""
            threshold = rule(ruleName)?.threshold
            let refs = try ranked(group: SeriesReader.group(ofScore: top), rule: ruleName, from: from, to: to,
                                  eventFrom: i.firstSecond, eventTo: i.endSecond - 1).prefix(options.maxLines)
            data = zip(refs, try reader.points(Array(refs), from: from, to: to)).map { ChartLine(label: label($0.0), points: $0.1) }
        }
        var facts: [(String, String)] = [
            ("interval", "\(Format.timestamp(i.firstSecond)) – \(Format.timestamp(i.endSecond))"),
            ("alerts", "none (missed)"),
        ]
        if let t = i.anomalyType { facts.insert(("type", t), at: 0) }
        if let d = i.details { facts.append(("details", d)) }
        return Report.Panel(title: "Labeled interval \(i.anomalyType ?? "anomaly")", facts: facts, from: from, to: to,
                            data: data, scores: zip(scoreRefs, scores).map { ChartLine(label: label($0.0), points: $0.1) },
                            threshold: threshold, shades: [], markers: [])
    }

    /// The whole range: the highest group scores (no data lines; the event panels have those).
    func overview(from: Int64, to: Int64) throws -> Report.Panel {
        let (refs, scores) = try topScores(from: from, to: to, window: (from, to), count: 5)
        return Report.Panel(title: "Top group scores", facts: [], from: from, to: to, data: [],
                            scores: zip(refs, scores).map { ChartLine(label: label($0.0), points: $0.1) },
                            threshold: nil, shades: [], markers: [])
    }

    /// The `count` score series with the highest maximum in [from, to], read over `window`.
    private func topScores(from: Int64, to: Int64, window: (Int64, Int64), count: Int)
        throws -> ([ExportSeriesRef], [[(second: Int64, value: Double)]]) {
        let all = reader.scoreSeries()
        let points = try reader.points(all, from: window.0, to: window.1)
        let peak = points.map { p in p.filter { $0.second >= from && $0.second <= to && $0.value.isFinite }.map(\.value).max() ?? -1 }
        let order = all.indices.filter { peak[$0] >= 0 }.sorted { (peak[$0], all[$1].selector) > (peak[$1], all[$0].selector) }.prefix(count)
        return (order.map { all[$0] }, order.map { points[$0] })
    }

    /// The group's series that moved most during [eventFrom, eventTo] relative to before.
    private func ranked(group: [String: String], rule ruleName: String, from: Int64, to: Int64,
                        eventFrom: Int64, eventTo: Int64) throws -> [ExportSeriesRef] {
        let ruleFilters = try (rule(ruleName)?.selectors ?? []).map { try SeriesFilter($0.matchers) }
        // Groups are meant to be tens of series; the cap bounds a report over a huge group.
        let members = Array(reader.members(of: group, filters: [ruleFilters, filters]).prefix(1000))
        let points = try reader.points(members, from: from, to: to)
        let score = points.map { Deviation.score($0, eventFrom: eventFrom, eventTo: eventTo) }
        return members.indices.sorted { (score[$0], members[$1].selector) > (score[$1], members[$0].selector) }.map { members[$0] }
    }
}
