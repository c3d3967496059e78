import Foundation
import SeismoAlerting
import SeismoExport
import SeismoStore
@testable import SeismoReport
#if canImport(FoundationXML)
import FoundationXML
#endif

/// An in-memory store: series with per-second samples, read through the same session
/// protocol the export and report use against a real store.
final class FakeSession: StoreWindowSession {
    var series: [ExportSeriesRef] = []
    var cells: [UInt32: [Int64: Double]] = [:]

    @discardableResult
    func add(_ labels: [String: String], _ samples: [Int64: Double]) -> UInt32 {
        let id = UInt32(series.count)
        series.append(ExportSeriesRef(id: id, labels: labels.map { (name: $0.key, value: $0.value) }.sorted { $0.name < $1.name }))
        cells[id] = samples
        return id
    }

    func catalogSeries() -> [ExportSeriesRef] { series }

    func dataBounds() throws -> (first: Int64, last: Int64)? {
        let all = cells.values.flatMap(\.keys)
        guard let lo = all.min(), let hi = all.max() else { return nil }
        return (lo, hi)
    }

    func fill(_ refs: [ExportSeriesRef], fromSecond: Int64, into buffers: WindowBuffers) throws {
        for (k, ref) in refs.enumerated() {
            let values = buffers.values(k), presence = buffers.presence(k)
            for r in 0..<buffers.rows {
                if let v = cells[ref.id]?[fromSecond + Int64(r)] {
                    values[r] = v.bitPattern
                    presence[r] = 1
                }
            }
        }
    }
}

struct FakeSource: ExportSource {
    let session: FakeSession
    var intervals: [LabelInterval] = []
    func openSession() throws -> StoreWindowSession { session }
    func storedIntervals() throws -> [LabelInterval] { intervals }
}

/// Parses `xml` and returns the parser error, nil when well-formed.
func xmlProblem(_ xml: String) -> String? {
    let parser = XMLParser(data: Data(xml.utf8))
    return parser.parse() ? nil : "\(parser.parserError.map { "\($0)" } ?? "unknown") in \(xml.prefix(300))"
}

/// Every inline `<svg>…</svg>` of a page.
func svgBlocks(_ html: String) -> [String] {
    var out: [String] = []
    var rest = html[...]
    while let a = rest.range(of: "<svg"), let b = rest.range(of: "</svg>", range: a.upperBound..<rest.endIndex) {
        out.append(String(rest[a.lowerBound..<b.upperBound]))
        rest = rest[b.upperBound...]
    }
    return out
}

func event(_ kind: AlertEvent.Kind, _ second: Int64, instance: String = "a", series: [String: String] = [:]) -> AlertEvent {
    AlertEvent(kind: kind, rule: "R", labels: ["alertname": "R", "instance": instance], group: ["instance": instance],
               series: series, score: 0.95, second: second, time: Date(timeIntervalSince1970: Double(second)))
}

func interval(_ from: Int64, _ to: Int64, type: String = "hog") -> LabelInterval {
    LabelInterval(fromMs: from * 1000, toMs: to * 1000, isAnomaly: true, anomalyType: type)
}
