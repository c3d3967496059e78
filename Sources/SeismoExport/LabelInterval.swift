/// One labelled span of time `[fromMs, toMs)`: an anomaly (when `anomalyType` is set or the
/// source said `anomaly: 1`), a workload phase (`state`, the study's Instance column), or both.
public struct LabelInterval: Sendable, Equatable {
    public var fromMs: Int64
    public var toMs: Int64
    public var isAnomaly: Bool
    public var anomalyType: String?
    public var details: String?
    public var state: String?
    /// Where it came from ("file:line", "api"), for messages.
    public var origin: String

    public init(fromMs: Int64, toMs: Int64, isAnomaly: Bool, anomalyType: String? = nil, details: String? = nil,
                state: String? = nil, origin: String = "") {
        self.fromMs = fromMs
        self.toMs = toMs
        self.isAnomaly = isAnomaly
        self.anomalyType = anomalyType
        self.details = details
        self.state = state
        self.origin = origin
    }

    /// The seconds (rows) it covers: a row `t` is inside when `from <= t*1000 < to`.
    public var firstSecond: Int64 { ceilDiv(fromMs, 1000) }
    public var endSecond: Int64 { ceilDiv(toMs, 1000) }

    /// Field names accepted in label files and by `POST /api/v1/labels`, normalised
    /// (lower case, spaces → `_`). The study's `Timestamp_from`/`Anomaly type` headers and
    /// the state file's `Instance` column map onto the same fields.
    enum Field {
        case from, to, anomaly, anomalyType, details, state

        init?(name: String) {
            let n = name.trimmingSpaces.lowercased().replacingSpaces
            switch n {
            case "timestamp_from", "from", "start": self = .from
            case "timestamp_to", "to", "end": self = .to
            case "anomaly": self = .anomaly
            case "anomaly_type", "type": self = .anomalyType
            case "anomaly_details", "details": self = .details
            case "state", "instance": self = .state
            default: return nil
            }
        }
    }

    /// Builds an interval from named raw fields; the problem text names the field.
    static func make(_ fields: [Field: String], origin: String) throws -> LabelInterval {
        guard let fromText = fields[.from] else { throw ExportError("missing start (from/Timestamp_from)") }
        guard let toText = fields[.to] else { throw ExportError("missing end (to/Timestamp_to)") }
        let from: Int64
        let to: Int64
        do { from = try ExportTime.parseMilliseconds(fromText) } catch { throw ExportError("start: \(error)") }
        do { to = try ExportTime.parseMilliseconds(toText) } catch { throw ExportError("end: \(error)") }
        guard to > from else { throw ExportError("end \(toText.trimmingSpaces) is not after start \(fromText.trimmingSpaces)") }
        func text(_ f: Field) -> String? {
            guard let v = fields[f]?.trimmingSpaces, !v.isEmpty else { return nil }
            return v
        }
        var anomaly = text(.anomalyType) != nil
        if let flag = text(.anomaly) {
            switch flag.lowercased() {
            case "1", "true", "yes": anomaly = true
            case "0", "false", "no": anomaly = false
            default: throw ExportError("anomaly must be 0/1 or true/false, not \(flag.debugDescription)")
            }
        }
        let state = text(.state)
        guard anomaly || state != nil else {
            throw ExportError("neither an anomaly (anomaly_type or anomaly=1) nor a state")
        }
        return LabelInterval(fromMs: from, toMs: to, isAnomaly: anomaly, anomalyType: text(.anomalyType),
                             details: text(.details), state: state, origin: origin)
    }
}

extension String {
    var replacingSpaces: String { String(map { $0 == " " || $0 == "-" ? "_" : $0 }) }
}
