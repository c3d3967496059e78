import SeismoStore

/// What an export wrote.
public struct ExportSummary: Sendable {
    public var rows: Int64 = 0
    public var seriesColumns = 0
    /// Series dropped by `--drop-incomplete`.
    public var droppedIncomplete = 0
    public var nonNullCells: Int64 = 0
    public var staleMarkersAsNull: Int64 = 0
    public var bytes: Int64 = 0
    /// Several data directories: cells two of them held with different values (the first
    /// directory's value was written), and per column with any, (column name, count).
    public var mergeConflicts: Int64 = 0
    /// Damaged files or records skipped while reading (path, offset, reason per line).
    public var damage: [String] = []
    public var conflictColumns: [(column: String, cells: Int)] = []
    public init() {}
}

/// One export: `prepare` resolves and validates everything that can fail because of the
/// request (selectors, range, label files, the store being readable, `--drop-incomplete`'s
/// counting pass), so a caller can refuse the request before writing a single byte;
/// `run` then streams the table window by window.
public final class ExportJob {
    public private(set) var plan: TablePlan
    /// One session for both passes, so they see the same head (and a snapshot replays
    /// the WAL once).
    private let session: StoreWindowSession
    private var dropped = 0

    private init(plan: TablePlan, session: StoreWindowSession) {
        self.plan = plan
        self.session = session
    }

    public static func prepare(source: ExportSource, options: ExportOptions) throws -> ExportJob {
        var options = options
        if options.thesis {
            // The study removed every metric missing in any point, and its table is TSV.
            options.dropIncomplete = true
            options.format = .tsv
        }
        let session = try source.openSession()
        let stored: [LabelInterval]
        do {
            stored = options.useStoredIntervals ? try source.storedIntervals() : []
        } catch let e as ExportError {
            throw e
        } catch {
            throw ExportError(.io, "reading stored labels: \(error)")
        }
        let plan = try ExportPlanner.plan(options: options, session: session, storedIntervals: stored)
        let job = ExportJob(plan: plan, session: session)
        if options.dropIncomplete && !plan.columns.isEmpty {
            // A first pass counts each series' output cells (after stale → null, step and
            // fill, so "complete" means complete in the table as written).
            let counter = RowGroupAssembler(plan: plan, session: session)
            while try counter.next() != nil {}
            let complete = counter.nonNull.map { Int64($0) == plan.rowCount }
            job.plan = plan.dropping { !complete[$0] }
            job.dropped = plan.columns.count - job.plan.columns.count
        }
        return job
    }

    /// Streams the table to `output` (called with ≈1 MiB pieces, in order).
    @discardableResult
    public func run(output: @escaping (UnsafeRawBufferPointer) throws -> Void, name: String = "export",
                    progress: ProgressBar? = nil) throws -> ExportSummary {
        var written: Int64 = 0
        let counted: (UnsafeRawBufferPointer) throws -> Void = { bytes in
            written += Int64(bytes.count)
            do { try output(bytes) } catch { throw ExportError(.io, "writing \(name): \(error)") }
        }
        let sink: TableSink
        switch plan.options.format {
        case .parquet: sink = ParquetSink(name: name, sink: counted)
        case .csv: sink = DelimitedSink(tab: false, output: ByteOutput(counted))
        case .tsv:
            sink = plan.options.thesis ? DelimitedSink(tab: true, fixedNames: ThesisLayout.fixedNames, output: ByteOutput(counted))
                                       : DelimitedSink(tab: true, output: ByteOutput(counted))
        }
        let assembler = RowGroupAssembler(plan: plan, session: session)
        // The `--drop-incomplete` pass read the same cells: count only this pass.
        let merged = session as? MergedSession
        let conflictsBefore = merged?.conflicts ?? []
        try sink.begin(plan)
        var summary = ExportSummary()
        let pipeline = WindowPipeline(assembler)
        do {
            while let group = try pipeline.take() {
                try sink.write(group)
                pipeline.release()
                summary.rows += Int64(group.rows)
                progress?.advance(rows: group.rows)
            }
        } catch {
            pipeline.stop()
            throw error
        }
        // The reader has finished (take returned nil), so its counters are final.
        pipeline.stop()
        try sink.finish(plan, staleNulls: assembler.staleNulls)
        progress?.finish()
        summary.seriesColumns = plan.columns.count
        summary.droppedIncomplete = dropped
        summary.nonNullCells = assembler.nonNull.reduce(0) { $0 + Int64($1) }
        summary.staleMarkersAsNull = assembler.staleNulls.reduce(0) { $0 + Int64($1) }
        summary.bytes = written
        summary.damage = session.damage
        if let merged {
            for column in plan.columns {
                let id = Int(column.series.id)
                let n = merged.conflicts[id] - conflictsBefore[id]
                guard n > 0 else { continue }
                summary.mergeConflicts += Int64(n)
                summary.conflictColumns.append((column.name, n))
            }
        }
        return summary
    }

    /// The study's `table_anomalies.txt` for this export's intervals.
    public var anomaliesTable: String { ThesisLayout.anomaliesTable(plan.intervals) }
}
