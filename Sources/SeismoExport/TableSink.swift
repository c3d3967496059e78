/// Receives an export's rows; one implementation per output format.
protocol TableSink: AnyObject {
    func begin(_ plan: TablePlan) throws
    func write(_ group: RowGroup) throws
    /// `staleNulls[k]`: stale markers of column k written as null.
    func finish(_ plan: TablePlan, staleNulls: [Int]) throws
}

/// Buffers small writes (CSV cells) into ≈1 MiB pieces for the output callback.
final class ByteOutput {
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    private(set) var buffer: [UInt8] = []
    private(set) var written: Int64 = 0
    private let limit = 1 << 20

    init(_ sink: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.sink = sink
        buffer.reserveCapacity(limit + 4096)
    }

    @inline(__always)
    func append(_ byte: UInt8) { buffer.append(byte) }

    func append(_ s: String) {
        var s = s
        s.withUTF8 { buffer.append(contentsOf: $0) }
    }

    func flushIfFull() throws { if buffer.count >= limit { try flush() } }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try sink($0) }
        written += Int64(buffer.count)
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Text for one double, parsed back to the same bits by Python's `float`, polars, DuckDB:
/// integral values without a fraction (the study's tables print `2089807872`), others in
/// Swift's shortest round-trip form, non-finite values as Prometheus writes them.
func formatDouble(_ bits: UInt64) -> String {
    let v = Double(bitPattern: bits)
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v < 0 ? "-Inf" : "+Inf" }
    if v == 0 { return v.sign == .minus ? "-0" : "0" }
    if v.rounded(.towardZero) == v && abs(v) < 1e15 { return String(Int64(v)) }
    return v.description
}
