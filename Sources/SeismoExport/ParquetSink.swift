import SeismoParquet

/// Parquet output: one row group per window. Columns `timestamp` (INT64 TIMESTAMP(ms,
/// UTC)), then `anomaly` (INT32 0/1) and `state` (optional UTF-8) when labels are on,
/// then one optional DOUBLE per series. Key-value metadata `seismo.series` holds every
/// series column's full label set and its count of stale markers written as null;
/// `seismo.export` the range, step and options.
final class ParquetSink: TableSink {
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    private var writer: ParquetStreamWriter?
    private let name: String

    init(name: String, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.name = name
        self.sink = sink
    }

    func begin(_ plan: TablePlan) throws {
        var columns = [ParquetStreamColumn(name: "timestamp", kind: .timestampMillis)]
        if plan.withLabels {
            columns.append(ParquetStreamColumn(name: "anomaly", kind: .int32))
            columns.append(ParquetStreamColumn(name: "state", kind: .optionalString))
        }
        for c in plan.columns { columns.append(ParquetStreamColumn(name: c.name, kind: .optionalDouble)) }
        do {
            writer = try ParquetStreamWriter(name: name, sink: sink, columns: columns, createdBy: "seismo export",
                                             codec: plan.options.parquetCompression)
        } catch {
            // Two series with the same canonical name cannot exist (the catalog is keyed by
            // label set), but a label-column name clash can: say which.
            throw ExportError("cannot write Parquet: \(error)")
        }
    }

    func write(_ group: RowGroup) throws {
        guard let writer, group.rows > 0 else { return }
        try writer.beginRowGroup(rows: group.rows)
        try writer.writeTimestamps((0..<group.rows).map { group.second(ofRow: $0) * 1000 })
        if let anomaly = group.anomaly, let state = group.state {
            try writer.writeInt32(anomaly)
            try writer.writeStrings(state)
        }
        try writer.writeDoublesConcurrently((0..<group.buffers.columns).map {
            ParquetDoubleColumn(name: "", values: group.values($0), presence: group.presence($0))
        })
        try writer.endRowGroup()
    }

    func finish(_ plan: TablePlan, staleNulls: [Int]) throws {
        guard let writer else { return }
        var series = "["
        for (k, c) in plan.columns.enumerated() {
            if k > 0 { series += "," }
            let labels = c.series.labels.map { "\(jsonString($0.name)):\(jsonString($0.value))" }.joined(separator: ",")
            series += "{\"column\":\(jsonString(c.name)),\"labels\":{\(labels)},\"stale_markers_as_null\":\(staleNulls[k])}"
        }
        series += "]"
        let o = plan.options
        let export = """
        {"format":1,"from":\(plan.fromSecond),"to":\(plan.endSecond),"step":\(plan.step),"rows":\(plan.rowCount),\
        "fill":"\(o.fill.rawValue)","fill_limit":\(o.fillLimitSeconds),"drop_incomplete":\(o.dropIncomplete),\
        "labels":\(plan.withLabels),"intervals":\(plan.intervals.count),\
        "stale_markers":"exported as null; per-series counts in seismo.series"}
        """
        try writer.close(keyValueMetadata: [("seismo.export", export), ("seismo.series", series)])
    }
}
