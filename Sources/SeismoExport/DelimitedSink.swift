/// CSV (RFC 4180) and TSV output. Header `timestamp[,anomaly,state],<series…>`; the
/// timestamp is Unix seconds; an empty field is null. TSV has no quoting, so tabs and
/// newlines inside names or states are written as spaces.
final class DelimitedSink: TableSink {
    let tab: Bool
    /// Header names of the fixed columns (the thesis layout renames them).
    let fixedNames: (time: String, anomaly: String, state: String)
    private let out: ByteOutput

    init(tab: Bool, fixedNames: (String, String, String) = ("timestamp", "anomaly", "state"), output: ByteOutput) {
        self.tab = tab
        self.fixedNames = (fixedNames.0, fixedNames.1, fixedNames.2)
        out = output
    }

    private func field(_ text: String) -> String {
        if tab {
            return String(text.map { $0 == "\t" || $0 == "\n" || $0 == "\r" ? " " : $0 })
        }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    func begin(_ plan: TablePlan) throws {
        let sep = tab ? "\t" : ","
        var names = [fixedNames.time]
        if plan.withLabels { names += [fixedNames.anomaly, fixedNames.state] }
        names += plan.columns.map(\.name)
        out.append(names.map(field).joined(separator: sep))
        out.append(UInt8(ascii: "\n"))
    }

    func write(_ group: RowGroup) throws {
        let sep = tab ? UInt8(ascii: "\t") : UInt8(ascii: ",")
        let columns = group.buffers.columns
        let values = (0..<columns).map { group.values($0) }
        let presence = (0..<columns).map { group.presence($0) }
        for r in 0..<group.rows {
            out.append(String(group.second(ofRow: r)))
            if let anomaly = group.anomaly, let state = group.state {
                out.append(sep)
                out.append(anomaly[r] != 0 ? UInt8(ascii: "1") : UInt8(ascii: "0"))
                out.append(sep)
                if let s = state[r] { out.append(field(s)) }
            }
            for k in 0..<columns {
                out.append(sep)
                if presence[k][r] != 0 { out.append(formatDouble(values[k][r])) }
            }
            out.append(UInt8(ascii: "\n"))
            try out.flushIfFull()
        }
    }

    func finish(_ plan: TablePlan, staleNulls: [Int]) throws {
        try out.flush()
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
