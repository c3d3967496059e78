import ArgumentParser
import Foundation
import SeismoExport
import SeismoModel

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a labelled wide table (one row per second, one column per series) to Parquet, CSV or TSV.",
        discussion: """
        Reads the data directory without taking its lock, so a running server's store can be \
        exported: sealed segments plus the head replayed from the WAL as of the start of the \
        export (see docs/export.md for the exact consistency). Times are RFC 3339 or Unix \
        seconds; the range is [--from, --to). Intervals posted to /api/v1/labels are joined \
        automatically, together with any --labels files. On error nothing is written.

        Several data directories (e.g. shards: --data dataset/shard=0 dataset/shard=1, or \
        --data dataset/shard=*) export as one table with the union of their seconds and \
        series. A series held by several directories is merged cell by cell: a value beats \
        no value; where two hold different values the first directory's wins and the \
        conflicting cells are reported on stderr (docs/export.md, "Several data directories").
        """
    )

    // Up to the next option, so a shell glob (`--data dataset/shard=*`) gives every shard.
    @Option(parsing: .upToNextOption,
            help: "Data directory; several (repeated or space-separated) are merged into one table. (default: ./data)")
    var data: [String] = []

    @Option(help: "First second (RFC 3339 or Unix seconds). (default: first second with data)")
    var from: String?

    @Option(help: "End of the range, exclusive (RFC 3339 or Unix seconds). (default: after the last second with data)")
    var to: String?

    @Option(name: .customLong("match"), help: "Prometheus series selector; repeat for a union. (default: every series)")
    var match: [String] = []

    @Option(name: .customLong("labels"), help: "Label file: the study's table_anomalies.txt, a state file (from, to, state), CSV or JSON with named columns. Repeatable.")
    var labels: [String] = []

    @Option(help: "parquet, csv or tsv. (default: parquet)")
    var format: String = "parquet"

    @Option(help: "Parquet compression: snappy or none. (default: snappy)")
    var compression: String = "snappy"

    @Option(help: "Output file, or - for stdout; with --thesis a directory. (default: -)")
    var output: String = "-"

    @Flag(name: .customLong("drop-incomplete"), help: "Drop series missing in any row of the range.")
    var dropIncomplete = false

    @Option(help: "none or previous (carry the last value forward, at most --fill-limit). (default: none)")
    var fill: String = "none"

    @Option(name: .customLong("fill-limit"), help: "Oldest value --fill previous may carry. (default: 5m)")
    var fillLimit: String = "5m"

    @Option(help: "Downsample: one row per step holding each series' last value in it, e.g. 10s. (default: 1s)")
    var step: String = "1s"

    @Flag(help: "Write the study's table_metrics.txt and table_anomalies.txt (TSV) into the --output directory; implies --drop-incomplete.")
    var thesis = false

    /// Tests use it to force many small row groups.
    @Option(name: .customLong("window-bytes"), help: ArgumentHelp("Bound on one window's cell buffers.", visibility: .hidden))
    var windowBytes: Int?

    @Flag(name: .customLong("no-stored-labels"), help: "Ignore intervals stored by POST /api/v1/labels.")
    var noStoredLabels = false

    func run() throws {
        do {
            try export()
        } catch let e as ExportError {
            throw ValidationError(e.description)
        }
    }

    private func options() throws -> ExportOptions {
        var o = ExportOptions()
        o.fromMs = try from.map { try ExportTime.parseMilliseconds($0) }
        o.toMs = try to.map { try ExportTime.parseMilliseconds($0) }
        o.selectors = try match.map { text in
            do { return try SeriesSelector.parse(text).matchers } catch { throw ExportError("--match: \(error)") }
        }
        guard let f = ExportFormat(rawValue: format.lowercased()) else {
            throw ExportError("--format must be parquet, csv or tsv, not \(format.debugDescription)")
        }
        o.format = f
        switch compression.lowercased() {
        case "snappy": o.parquetCompression = .snappy
        case "none", "uncompressed": o.parquetCompression = .uncompressed
        default: throw ExportError("--compression must be snappy or none, not \(compression.debugDescription)")
        }
        guard let fm = FillMode(rawValue: fill) else { throw ExportError("--fill must be none or previous, not \(fill.debugDescription)") }
        o.fill = fm
        guard let limit = Durations.seconds(fillLimit) else { throw ExportError("--fill-limit \(fillLimit.debugDescription) is not a duration") }
        o.fillLimitSeconds = limit
        guard let s = Durations.seconds(step), s >= 1 else { throw ExportError("--step \(step.debugDescription) is not a duration of at least 1s") }
        o.stepSeconds = s
        o.dropIncomplete = dropIncomplete
        if let windowBytes { o.maxWindowBytes = windowBytes }
        o.thesis = thesis
        o.useStoredIntervals = !noStoredLabels
        o.labelColumns = !labels.isEmpty
        // Every label file is parsed before anything is opened for writing.
        o.labelIntervals = try labels.flatMap { try LabelFileParser.parse(path: $0) }
        return o
    }

    private func export() throws {
        if output == "-" && !thesis && format.lowercased() == "parquet" && isatty(1) != 0 {
            throw ExportError("refusing to write Parquet to a terminal: give --output FILE, redirect stdout, or use --format csv")
        }
        let job = try ExportJob.prepare(source: try source(), options: try options())
        let progress = ProgressBar(totalRows: job.plan.rowCount)
        if thesis {
            try FileManager.default.createDirectory(atPath: output == "-" ? "." : output, withIntermediateDirectories: true)
            let dir = output == "-" ? "." : output
            var summary = ExportSummary()
            try AtomicOutput.write(to: dir + "/" + ThesisLayout.metricsFileName) { out in
                summary = try job.run(output: out, name: ThesisLayout.metricsFileName, progress: progress)
            }
            reportConflicts(summary)
            try AtomicOutput.write(to: dir + "/" + ThesisLayout.anomaliesFileName) { out in
                var text = job.anomaliesTable
                try text.withUTF8 { try out(UnsafeRawBufferPointer($0)) }
            }
            return
        }
        let summary: ExportSummary
        if output == "-" {
            summary = try job.run(output: { try AtomicOutput.writeAll(1, $0, name: "stdout") }, name: "stdout", progress: progress)
        } else {
            var result = ExportSummary()
            try AtomicOutput.write(to: output) { out in
                result = try job.run(output: out, name: output, progress: progress)
            }
            summary = result
        }
        reportConflicts(summary)
    }

    /// One directory reads as before; several are merged (see `MergedSource`).
    private func source() throws -> ExportSource {
        let dirs = data.isEmpty ? ["./data"] : data
        var seen = Set<String>()
        for d in dirs where !seen.insert(d).inserted {
            throw ExportError("--data \(d) is given twice")
        }
        return dirs.count == 1 ? DirectorySource(path: dirs[0]) : MergedSource(dirs.map { DirectorySource(path: $0) })
    }

    /// Conflicts do not fail the export (the table is complete, by a stated rule), but a
    /// training set built from disagreeing shards should not go unnoticed.
    private func reportConflicts(_ summary: ExportSummary) {
        // Damaged data was skipped and the rest exported; say what is missing and where.
        for line in summary.damage {
            FileHandle.standardError.write(Data("seismo export: skipped damaged data: \(line)\n".utf8))
        }
        guard summary.mergeConflicts > 0 else { return }
        let shown = summary.conflictColumns.prefix(5).map { "\($0.column) (\($0.cells))" }.joined(separator: ", ")
        let more = summary.conflictColumns.count > 5 ? ", …" : ""
        FileHandle.standardError.write(Data("""
            seismo export: \(summary.mergeConflicts) cells in \(summary.conflictColumns.count) series held different \
            values in several data directories; the first directory's value was kept: \(shown)\(more)

            """.utf8))
    }
}
