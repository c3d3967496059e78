import ArgumentParser
import Foundation
import SeismoDetect
import SeismoExport

/// `seismo replay`: runs one detector over a NAB-style CSV, streaming, and
/// writes NAB's results format. Each row is scored before the next is read,
/// so there is no look-ahead by construction.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a timestamp,value CSV with a streaming detector (NAB results format).",
        discussion: """
        Input: header line, then `timestamp,value` rows; timestamps are \
        `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC) or unix seconds. Output: \
        `timestamp,value,anomaly_score,label`, one row per input row; the score is \
        0 while the detector warms up or when it returns nil (NaN, stale second). \
        label is 1 inside the windows of --labels (NAB combined_windows.json), else 0.
        """
    )

    @Option(help: "Input CSV (timestamp,value).")
    var input: String
    @Option(help: "Output CSV.")
    var output: String
    @Option(help: "baseline or adaptive.")
    var detector: String = DetectorKind.adaptive.rawValue
    @Flag(help: "Treat the values as a monotonically increasing counter (score its rate).")
    var counter = false
    @Option(help: "NAB combined_windows.json (labelled windows); rows inside this file's windows get label 1.")
    var labels: String?
    @Option(help: "Key of this file in --labels (default: <parent folder>/<file name> of --input).")
    var windowsKey: String?

    func run() throws {
        guard let kind = DetectorKind(rawValue: detector) else {
            throw ValidationError("unknown detector \(detector) (use baseline or adaptive)")
        }
        let labelWindows = try loadWindows()
        guard let reader = LineReader(path: input) else { throw ValidationError("cannot open \(input)") }
        guard let out = fopen(output, "w") else { throw ValidationError("cannot create \(output)") }
        defer { fclose(out) }
        var state = SeriesDetector(kind: kind, isCounter: counter)
        fputs("timestamp,value,anomaly_score,label\n", out)
        var lineNumber = 0
        while let line = reader.next() {
            lineNumber += 1
            if lineNumber == 1 { continue }  // header
            if line.isEmpty { continue }
            guard let comma = line.firstIndex(of: ",") else {
                throw ValidationError("\(input):\(lineNumber): expected timestamp,value")
            }
            let stamp = line[..<comma]
            let valueText = line[line.index(after: comma)...].trimmingCharacters(in: .whitespaces)
            guard let second = ReplayTime.parse(stamp) else {
                throw ValidationError("\(input):\(lineNumber): bad timestamp \(stamp)")
            }
            let value = Double(valueText) ?? .nan
            let score = state.update(second: second, value: value) ?? 0
            let label = labelWindows.contains { $0.contains(second) } ? 1 : 0
            fputs("\(stamp),\(valueText),\(score),\(label)\n", out)
        }
    }

    private func loadWindows() throws -> [ClosedRange<Int64>] {
        guard let windows = labels else { return [] }
        let key = windowsKey ?? {
            let url = URL(fileURLWithPath: input)
            return url.deletingLastPathComponent().lastPathComponent + "/" + url.lastPathComponent
        }()
        let data = try Data(contentsOf: URL(fileURLWithPath: windows))
        guard let all = try JSONSerialization.jsonObject(with: data) as? [String: [[String]]] else {
            throw ValidationError("\(windows): expected {file: [[start, end], …]}")
        }
        return try (all[key] ?? []).map { pair in
            guard pair.count == 2, let a = ReplayTime.parse(Substring(pair[0])),
                  let b = ReplayTime.parse(Substring(pair[1])) else {
                throw ValidationError("\(windows): bad window \(pair) for \(key)")
            }
            return a...b
        }
    }
}

/// Timestamp parsing without DateFormatter: NAB files are UTC wall-clock
/// strings, and a civil-date → days conversion is exact and far faster.
enum ReplayTime {
    static func parse(_ text: Substring) -> Int64? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let unix = Int64(t) { return unix }
        if let unix = Double(t), unix.isFinite { return Int64(unix.rounded(.down)) }
        // YYYY-MM-DD HH:MM:SS[.fraction]; the fraction is dropped (NAB uses .000000).
        let parts = t.split(whereSeparator: { $0 == "-" || $0 == " " || $0 == ":" || $0 == "T" || $0 == "." })
        guard parts.count >= 6, let y = Int64(parts[0]), let mo = Int64(parts[1]), let d = Int64(parts[2]),
              let h = Int64(parts[3]), let mi = Int64(parts[4]), let s = Int64(parts[5]),
              (1...12).contains(mo), (1...31).contains(d) else { return nil }
        return Int64(ExportTime.daysFromCivil(Int(y), Int(mo), Int(d))) * 86_400 + h * 3_600 + mi * 60 + s
    }
}

/// Reads a file line by line with getline, so replay memory stays flat however
/// long the input is.
final class LineReader {
    private let file: UnsafeMutablePointer<FILE>
    private var buffer: UnsafeMutablePointer<CChar>?
    private var capacity = 0

    init?(path: String) {
        guard let f = fopen(path, "r") else { return nil }
        file = f
    }

    deinit {
        free(buffer)
        fclose(file)
    }

    func next() -> String? {
        let n = getline(&buffer, &capacity, file)
        guard n >= 0, let buffer else { return nil }
        var line = String(cString: buffer)
        // "\r\n" is one Character in Swift, so test isNewline rather than "\n".
        while let last = line.last, last.isNewline { line.removeLast() }
        return line
    }
}
