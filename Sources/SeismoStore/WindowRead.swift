import SeismoModel
import SeismoParquet

/// A series as the export sees it: stable id and label set (bytewise name order).
public struct ExportSeriesRef: @unchecked Sendable {
    public let id: UInt32
    public let labels: [(name: String, value: String)]
    public init(id: UInt32, labels: [(name: String, value: String)]) {
        self.id = id
        self.labels = labels
    }
    /// The canonical selector, also the column name in segment files.
    public var selector: String { LabelKey.selector(labels) }
}

/// Cell buffers for one window of seconds × selected series, one allocation per column.
/// `presence` 0 = no sample; values are IEEE-754 bit patterns (stale markers intact).
/// Allocated once per export and reused for every window, so a window costs no
/// allocation per cell. Per-column blocks (tens of KB) come from malloc's heap, which
/// recycles them between exports; one block per window would be a fresh mmap every time,
/// page-faulted and zeroed again (perf: ~12 % of a 1,000-series HTTP export's CPU).
public final class WindowBuffers {
    public let columns: Int
    public let capacityRows: Int
    public private(set) var rows = 0
    private let valueColumns: [UnsafeMutablePointer<UInt64>]
    private let presenceColumns: [UnsafeMutablePointer<UInt16>]
    /// False for a view: the columns belong to another instance.
    private let owns: Bool

    public init(columns: Int, capacityRows: Int) {
        self.columns = columns
        self.capacityRows = capacityRows
        owns = true
        // Left uninitialised (trivial types): `reset` zeroes the presence rows a window
        // uses, and a value is only read where its presence tag is set.
        valueColumns = (0..<columns).map { _ in .allocate(capacity: max(1, capacityRows)) }
        presenceColumns = (0..<columns).map { _ in .allocate(capacity: max(1, capacityRows)) }
    }

    /// A view of some of `base`'s columns (view column k = base column `columns[k]`) over
    /// its current window, sharing the memory: a merged export lets each directory fill the
    /// columns only it holds straight into the output buffers, without a copy. The view
    /// must not outlive `base` nor be reset (the base's reset covers it).
    public init(viewing base: WindowBuffers, columns: [Int]) {
        self.columns = columns.count
        capacityRows = base.rows
        rows = base.rows
        owns = false
        valueColumns = columns.map { base.valueColumns[$0] }
        presenceColumns = columns.map { base.presenceColumns[$0] }
    }

    deinit {
        guard owns else { return }
        for p in valueColumns { p.deallocate() }
        for p in presenceColumns { p.deallocate() }
    }

    /// Clears the first `rows` rows of every column for a new window.
    public func reset(rows: Int) {
        precondition(owns && rows <= capacityRows)
        self.rows = rows
        for p in presenceColumns { p.update(repeating: 0, count: rows) }
    }

    public func values(_ column: Int) -> UnsafeMutableBufferPointer<UInt64> {
        UnsafeMutableBufferPointer(start: valueColumns[column], count: rows)
    }

    public func presence(_ column: Int) -> UnsafeMutableBufferPointer<UInt16> {
        UnsafeMutableBufferPointer(start: presenceColumns[column], count: rows)
    }
}

/// Prometheus matcher evaluation (fully anchored regexes), public for the export's
/// `--match` / `match[]`.
public struct SeriesFilter {
    private let matcher: SeriesMatcher
    public init(_ matchers: [LabelMatcher]) throws { matcher = try SeriesMatcher(matchers) }
    public func matches(_ labels: [(name: String, value: String)]) -> Bool { matcher.matches(labels) }
}

/// Reads the sealed-segment part of windows. Keeps the open readers of the segments the
/// current window overlaps, so consecutive windows inside one segment parse its footers once.
final class SegmentWindowReader {
    private struct OpenSegment {
        let end: Int64
        var files: [(reader: ParquetFileReader, firstSecond: Int64)] = []
        /// Column name → (file, column index).
        var byName: [String: (file: Int, column: Int)] = [:]
    }

    private let directory: DataDirectory
    private var open: [Int64: OpenSegment] = [:]
    /// Called for a file or column that does not decode; it is then skipped, so an
    /// export holds everything readable instead of failing on one damaged file.
    private let report: (StorageProblem) -> Void

    init(directory: DataDirectory, report: @escaping (StorageProblem) -> Void) {
        self.directory = directory
        self.report = report
    }

    /// A file's reader and its first row's second, or nil (reported) if it does not decode.
    private func openFile(_ path: String) -> (reader: ParquetFileReader, firstSecond: Int64?)? {
        do {
            let reader = try ParquetFileReader(path: path)
            guard reader.rowCount > 0 else { return (reader, nil) }
            return (reader, floorDiv(try reader.readInt64Column(0)[0], 1000))
        } catch {
            report(.segment(path, error))
            return nil
        }
    }

    private func load(_ name: DataDirectory.SegmentName) throws -> OpenSegment? {
        if let s = open[name.start] { return s }
        let path = directory.segmentPath(name)
        // Retention may delete a segment between listing and reading: it is then simply gone.
        guard FileIO.isDirectory(path) else { return nil }
        var segment = OpenSegment(end: name.end)
        for file in FileIO.listDirectory(path).filter({ $0.hasSuffix(".parquet") }).sorted() {
            guard let (reader, first) = openFile(path + "/" + file), let firstSecond = first else { continue }
            let f = segment.files.count
            segment.files.append((reader, firstSecond))
            for (i, c) in reader.columns.enumerated() where i > 0 && segment.byName[c.name] == nil {
                segment.byName[c.name] = (f, i)
            }
        }
        open[name.start] = segment
        return segment
    }

    /// Fills the buffers' current window (rows from `fromSecond`) from every committed
    /// segment overlapping it. `names[k]` is column k's canonical selector.
    func fill(names: [String], fromSecond: Int64, into buffers: WindowBuffers) throws {
        let toSecond = fromSecond + Int64(buffers.rows)
        open = open.filter { $0.value.end > fromSecond }
        for name in directory.listSegments() where name.end > fromSecond && name.start < toSecond {
            guard let segment = try load(name) else { continue }
            for (k, columnName) in names.enumerated() {
                guard let at = segment.byName[columnName] else { continue }
                let file = segment.files[at.file]
                do {
                    _ = try file.reader.scatterDoubleColumn(at.column, firstRow: Int(fromSecond - file.firstSecond),
                                                            values: buffers.values(k), presence: buffers.presence(k))
                } catch {
                    report(.segment(file.reader.path, error))
                }
            }
        }
    }

    /// First and last second holding a row in any segment.
    func bounds() throws -> (Int64, Int64)? {
        let all = directory.listSegments()
        guard let first = all.first, let last = all.last else { return nil }
        var lo = Int64.max
        var hi = Int64.min
        for name in Set([first, last].map(\.start)).compactMap({ s in all.first { $0.start == s } }) {
            let path = directory.segmentPath(name)
            for file in FileIO.listDirectory(path) where file.hasSuffix(".parquet") {
                do {
                    let ts = try ParquetFileReader(path: path + "/" + file).readInt64Column(0)
                    if let a = ts.first { lo = min(lo, floorDiv(a, 1000)) }
                    if let b = ts.last { hi = max(hi, floorDiv(b, 1000)) }
                } catch {
                    report(.segment(path + "/" + file, error))
                }
            }
        }
        return lo <= hi ? (lo, hi) : nil
    }
}

/// Copies head cells (tag ≠ 0) of the selected ids into the window buffers.
func copyHeadCells(_ heads: [SegmentBuffer], ids: [UInt32], fromSecond: Int64, into buffers: WindowBuffers) {
    let toSecond = fromSecond + Int64(buffers.rows)
    for buffer in heads {
        guard max(fromSecond, buffer.start) < min(toSecond, buffer.start + buffer.span) else { continue }
        for (k, id) in ids.enumerated() {
            let values = buffers.values(k)
            let presence = buffers.presence(k)
            buffer.forEachCell(of: id, seconds: fromSecond..<toSecond) { second, _, bits in
                let out = Int(second - fromSecond)
                values[out] = bits
                presence[out] = 1
            }
        }
    }
}

func headBounds(_ heads: [SegmentBuffer]) -> (Int64, Int64)? {
    var lo = Int64.max
    var hi = Int64.min
    for h in heads where h.sampleCount > 0 {
        lo = min(lo, h.firstSecond)
        hi = max(hi, h.lastSecond)
    }
    return lo <= hi ? (lo, hi) : nil
}

func mergeBounds(_ a: (Int64, Int64)?, _ b: (Int64, Int64)?) -> (Int64, Int64)? {
    guard let a else { return b }
    guard let b else { return a }
    return (min(a.0, b.0), max(a.1, b.1))
}

/// A window reading session: one per export, not shared between threads.
public protocol StoreWindowSession: AnyObject {
    /// Every series in the catalog, in id order.
    func catalogSeries() -> [ExportSeriesRef]
    /// First and last second holding data (segments and head), nil when empty.
    func dataBounds() throws -> (first: Int64, last: Int64)?
    /// Fills the buffers' current window (`buffers.rows` seconds from `fromSecond`) with
    /// the cells of `series` (column k = series[k]). The caller has reset the buffers.
    func fill(_ series: [ExportSeriesRef], fromSecond: Int64, into buffers: WindowBuffers) throws
    /// Damage met so far (unreadable catalog records, WAL records, segment files), one line
    /// each with path and offset; the data around it was still read.
    var damage: [String] { get }
}

extension StoreWindowSession {
    public var damage: [String] { [] }
}
