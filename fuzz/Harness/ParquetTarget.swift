#if canImport(Glibc)
import Glibc
#endif
import SeismoParquet

/// The reader only opens paths, so each input is written to one file in /dev/shm
/// (memory, no disk I/O), reused for the whole run.
private let scratchPath = "/dev/shm/seismo-fuzz-\(getpid()).parquet"
private let removeScratchAtExit: Void = { atexit { unlink(scratchPath) } }()

/// Segment files: a damaged file throws `ParquetError`, never traps; a file that opens
/// decodes every column to exactly `rowCount` values, and the export's scatter path
/// agrees cell for cell with `readDoubleColumn` (DOUBLE and whole-number INT64 columns).
func fuzzSegmentFile(_ input: UnsafeRawBufferPointer) {
    _ = removeScratchAtExit
    guard let f = fopen(scratchPath, "wb") else { violated("cannot write \(scratchPath)") }
    if input.count > 0 { fwrite(input.baseAddress, 1, input.count, f) }
    fclose(f)
    do {
        let reader = try ParquetFileReader(path: scratchPath)
        let rows = Int(reader.rowCount)
        // Row counts are checked against the chunk sizes, but a tiny file can still claim
        // millions of all-null rows; keep the buffers small.
        guard rows <= 100_000 else { return }
        for (i, column) in reader.columns.enumerated() {
            // Series columns: DOUBLE, or OPTIONAL INT64 (a whole-number series); a REQUIRED
            // INT64 is the timestamp.
            let series = column.physicalType == 5 || (column.physicalType == 2 && column.isOptional)
            switch column.physicalType {
            case 2 where !series:
                let ts = try reader.readInt64Column(i)
                check(ts.count == rows, "INT64 column \(i): \(ts.count) values for \(rows) rows")
            case 2, 5:
                let cells = try reader.readDoubleColumn(i)
                check(cells.count == rows, "series column \(i): \(cells.count) values for \(rows) rows")
                let values = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: rows)
                let presence = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: rows)
                defer {
                    values.deallocate()
                    presence.deallocate()
                }
                presence.update(repeating: 0)
                let stored = try reader.scatterDoubleColumn(i, firstRow: 0, values: values, presence: presence)
                check(stored == cells.filter { $0 != nil }.count, "scatter stored \(stored) cells")
                for (r, cell) in cells.enumerated() {
                    check((presence[r] != 0) == (cell != nil) && (cell == nil || values[r] == cell), "row \(r) differs")
                }
            default:
                continue
            }
        }
    } catch is ParquetError {
        return
    } catch {
        violated("unexpected error type \(error)")
    }
}
