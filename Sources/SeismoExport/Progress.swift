#if canImport(Glibc)
import Glibc
#endif
import Dispatch

/// A one-line progress bar on stderr (rows done, rate, ETA), redrawn at most 5×/s.
/// Only when stderr is a terminal: logs and CI output stay clean.
public final class ProgressBar {
    private let total: Int64
    private let enabled: Bool
    private let started = DispatchTime.now().uptimeNanoseconds
    private var lastDraw: UInt64 = 0
    private var done: Int64 = 0

    public init(totalRows: Int64, enabled: Bool = isatty(2) != 0) {
        total = totalRows
        self.enabled = enabled
    }

    public func advance(rows: Int) {
        done += Int64(rows)
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        if now - lastDraw < 200_000_000 && done < total { return }
        lastDraw = now
        let elapsed = max(1e-9, Double(now - started) / 1e9)
        let rate = Double(done) / elapsed
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let width = 30
        let filled = total > 0 ? Int(Double(width) * Double(done) / Double(total)) : width
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let line = "\rexport [\(bar)] \(done)/\(total) rows  \(Int(rate)) rows/s  ETA \(Int(eta.rounded()))s "
        fputs(line, stderr)
    }

    public func finish() {
        guard enabled else { return }
        fputs("\n", stderr)
    }
}
