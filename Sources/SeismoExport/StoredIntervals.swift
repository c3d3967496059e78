import Foundation
import SeismoModel
import SeismoStore

/// The JSON form of intervals in `DIR/labels/intervals.log` (one object per record):
/// `{"start": ms-as-seconds, "end": …, "anomaly": bool, "anomaly_type": …, "details": …,
/// "state": …}`, times as Unix seconds with millisecond decimals.
public enum StoredIntervals {
    public static func encode(_ i: LabelInterval) -> [UInt8] {
        func seconds(_ ms: Int64) -> String {
            // Sign first, then the magnitude: a decimal is read as sign × (whole.fraction),
            // so -796125 ms is "-796.125", not floor and remainder ("-797.875").
            let magnitude = ms.magnitude
            let whole = magnitude / 1000, frac = magnitude % 1000
            let text = frac == 0 ? "\(whole)" : "\(whole).\(String(1000 + frac).dropFirst())"
            return ms < 0 ? "-" + text : text
        }
        var parts = ["\"start\":\(seconds(i.fromMs))", "\"end\":\(seconds(i.toMs))", "\"anomaly\":\(i.isAnomaly)"]
        if let t = i.anomalyType { parts.append("\"anomaly_type\":\(jsonString(t))") }
        if let d = i.details { parts.append("\"details\":\(jsonString(d))") }
        if let s = i.state { parts.append("\"state\":\(jsonString(s))") }
        return Array(("{" + parts.joined(separator: ",") + "}").utf8)
    }

    /// Every stored interval; a record that does not decode is an error naming its position
    /// (the log is written only by Seismo, so that means damage, not user input).
    public static func read(_ log: IntervalLog) throws -> [LabelInterval] {
        let (payloads, _) = try log.read()
        return try payloads.enumerated().map { k, bytes in
            let object: [String: JSONScalar]
            do {
                object = try JSONDecoder().decode([String: JSONScalar].self, from: Data(bytes))
            } catch {
                throw ExportError(.io, "\(log.path): record \(k + 1) is not an interval object")
            }
            return try LabelFileParser.interval(fromJSON: object, at: "\(log.path): record \(k + 1)")
        }
    }
}

/// JSON string literal (one escaper for the whole project lives in SeismoModel).
func jsonString(_ s: String) -> String { JSONText.quoted(s) }
