import Foundation

/// Reads label files. Formats, told apart by content:
/// - JSON: an array of interval objects, or one object per line (JSON lines);
/// - delimited text with a header row naming the columns: tab-separated when the header
///   holds a tab (the study's `table_anomalies.txt`: `Timestamp_from, Timestamp_to,
///   Anomaly type, Anomaly details`, and state files `from, to, state`), else CSV
///   (RFC 4180 quoting).
/// Any malformed line fails the whole file with `FILE:LINE: problem`; the export then
/// writes nothing.
public enum LabelFileParser {
    public static func parse(path: String) throws -> [LabelInterval] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ExportError("\(path): cannot read label file")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw ExportError("\(path): not UTF-8 text") }
        return try parse(text: text, name: path)
    }

    public static func parse(text: String, name: String) throws -> [LabelInterval] {
        let body = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        let first = body.trimmingSpaces.first
        if first == "[" || first == "{" { return try parseJSON(body, name: name) }
        return try parseDelimited(body, name: name)
    }

    // MARK: delimited

    static func parseDelimited(_ text: String, name: String) throws -> [LabelInterval] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        guard let headerIndex = lines.firstIndex(where: { !$0.trimmingSpaces.isEmpty }) else {
            throw ExportError("\(name): empty label file (expected a header row)")
        }
        let header = lines[headerIndex]
        let tab = header.contains("\t")
        let names = tab ? header.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                        : try splitCSV(header, at: "\(name):\(headerIndex + 1)")
        var fields: [LabelInterval.Field?] = []
        var seen = Set<String>()
        for n in names {
            let f = LabelInterval.Field(name: n)
            if f == nil && !n.trimmingSpaces.isEmpty {
                throw ExportError("\(name):\(headerIndex + 1): unknown column \(n.trimmingSpaces.debugDescription) (known: Timestamp_from/from/start, Timestamp_to/to/end, Anomaly type, Anomaly details, anomaly, state/Instance)")
            }
            if let f, !seen.insert("\(f)").inserted {
                throw ExportError("\(name):\(headerIndex + 1): column \(n.trimmingSpaces.debugDescription) given twice")
            }
            fields.append(f)
        }
        guard seen.contains("\(LabelInterval.Field.from)"), seen.contains("\(LabelInterval.Field.to)") else {
            throw ExportError("\(name):\(headerIndex + 1): header must name a start and an end column (e.g. Timestamp_from, Timestamp_to)")
        }
        var out: [LabelInterval] = []
        for index in (headerIndex + 1)..<lines.count {
            let line = lines[index]
            if line.trimmingSpaces.isEmpty { continue }
            let at = "\(name):\(index + 1)"
            let values = tab ? line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                             : try splitCSV(line, at: at)
            guard values.count == fields.count else {
                throw ExportError("\(at): \(values.count) fields, the header has \(fields.count)")
            }
            var row: [LabelInterval.Field: String] = [:]
            for (f, v) in zip(fields, values) { if let f { row[f] = v } }
            do {
                out.append(try LabelInterval.make(row, origin: at))
            } catch let e as ExportError {
                throw ExportError("\(at): \(e.description)")
            }
        }
        return out
    }

    /// One CSV record (no embedded newlines: a label per line is all label files need).
    static func splitCSV(_ line: String, at: String) throws -> [String] {
        var out: [String] = []
        var field = ""
        var quoted = false
        var i = line.startIndex
        var fieldStart = true
        while i < line.endIndex {
            let c = line[i]
            if quoted {
                if c == "\"" {
                    let next = line.index(after: i)
                    if next < line.endIndex && line[next] == "\"" {
                        field.append("\"")
                        i = next
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == "," {
                out.append(field)
                field = ""
                fieldStart = true
                i = line.index(after: i)
                continue
            } else if c == "\"" && fieldStart {
                quoted = true
            } else if c == "\"" {
                throw ExportError("\(at): quote inside an unquoted field")
            } else {
                field.append(c)
            }
            if !(c == " " && fieldStart && !quoted) { fieldStart = false }
            i = line.index(after: i)
        }
        if quoted { throw ExportError("\(at): unterminated quoted field") }
        out.append(field)
        return out
    }

    // MARK: JSON

    static func parseJSON(_ text: String, name: String) throws -> [LabelInterval] {
        if text.trimmingSpaces.first == "[" {
            let array: [[String: JSONScalar]]
            do {
                array = try JSONDecoder().decode([[String: JSONScalar]].self, from: Data(text.utf8))
            } catch {
                throw ExportError("\(name):1: expected a JSON array of interval objects: \(jsonReason(error))")
            }
            return try array.enumerated().map { k, element in
                try interval(fromJSON: element, at: "\(name): element \(k + 1)")
            }
        }
        var out: [LabelInterval] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = String(line).trimmingSpaces
            if trimmed.isEmpty { continue }
            let at = "\(name):\(index + 1)"
            let object: [String: JSONScalar]
            do {
                object = try JSONDecoder().decode([String: JSONScalar].self, from: Data(trimmed.utf8))
            } catch {
                throw ExportError("\(at): expected one JSON interval object per line: \(jsonReason(error))")
            }
            out.append(try interval(fromJSON: object, at: at))
        }
        return out
    }

    /// The body of `POST /api/v1/labels`: one interval object or an array of them.
    public static func parseRequestBody(_ bytes: [UInt8]) throws -> [LabelInterval] {
        let data = Data(bytes)
        if let one = try? JSONDecoder().decode([String: JSONScalar].self, from: data) {
            return [try interval(fromJSON: one, at: "body")]
        }
        do {
            let many = try JSONDecoder().decode([[String: JSONScalar]].self, from: data)
            return try many.enumerated().map { try interval(fromJSON: $1, at: "body element \($0 + 1)") }
        } catch let e as ExportError {
            throw e
        } catch {
            throw ExportError("body must be a JSON interval object or an array of them: \(jsonReason(error))")
        }
    }

    /// One interval object. Times may be numbers (Unix seconds) or strings (Unix seconds
    /// or RFC 3339).
    static func interval(fromJSON object: [String: JSONScalar], at: String) throws -> LabelInterval {
        var row: [LabelInterval.Field: String] = [:]
        for (key, v) in object {
            guard let f = LabelInterval.Field(name: key) else {
                throw ExportError("\(at): unknown field \(key.debugDescription) (known: start, end, anomaly_type, details, state, anomaly)")
            }
            if let text = v.text { row[f] = text }
        }
        do {
            return try LabelInterval.make(row, origin: at)
        } catch let e as ExportError {
            throw ExportError("\(at): \(e.description)")
        }
    }

    static func jsonReason(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c): return c.debugDescription
        case DecodingError.typeMismatch(_, let c): return c.debugDescription + " at " + c.codingPath.map(\.stringValue).joined(separator: ".")
        default: return "\(error)"
        }
    }
}

/// A JSON scalar as label fields allow it. Bool is tried first: JSONDecoder refuses to
/// read a number as Bool, so `1` stays a number and `true` a bool.
enum JSONScalar: Decodable {
    case bool(Bool)
    case number(Double)
    case string(String)
    case null

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null } else if let b = try? c.decode(Bool.self) { self = .bool(b) } else if let d = try? c.decode(Double.self) { self = .number(d) } else { self = .string(try c.decode(String.self)) }
    }

    /// The field's text as a label file would hold it.
    var text: String? {
        switch self {
        case .null: return nil
        case .bool(let b): return b ? "true" : "false"
        case .string(let s): return s
        case .number(let d):
            if let whole = Int64(exactly: d) { return String(whole) }
            // Milliseconds are the finest label resolution; %.3f keeps them exactly.
            return String(format: "%.3f", d)
        }
    }
}
