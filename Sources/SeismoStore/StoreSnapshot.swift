import SeismoModel

/// A read-only view of a data directory for exports, safe on a live one: it never takes
/// the LOCK and never repairs anything. The catalog and WAL are read once, at open (the
/// head as of that moment); committed segments are listed again for every window, so a
/// segment sealed meanwhile is read from its Parquet files (its seconds are in the
/// replayed head too, with identical values).
public final class StoreSnapshot: StoreWindowSession {
    private let directory: DataDirectory
    private let series: [ExportSeriesRef]
    private let head: Head
    private let segments: SegmentWindowReader
    /// Problems met while reading (torn WAL tail of a write in progress, …), for logging.
    public let problems: [String]

    public init(dataDirectory: String) throws {
        guard FileIO.isDirectory(dataDirectory) else {
            throw StoreError.invalidConfig("\(dataDirectory) is not a directory")
        }
        directory = DataDirectory(root: dataDirectory)
        guard FileIO.exists(directory.catalogPath) || FileIO.isDirectory(directory.segmentsDirectory) else {
            throw StoreError.invalidConfig("\(dataDirectory) is not a seismo data directory (no catalog/series.log)")
        }
        let catalog = SeriesCatalog(path: directory.catalogPath)
        var problems: [String] = []
        if let p = try catalog.load() { problems.append("\(p)") }
        series = (0..<UInt32(catalog.seriesCount)).map { ExportSeriesRef(id: $0, labels: catalog.labels(of: $0)) }
        let sealedUntil = directory.sealedUntil()
        // The span only groups buffers; any value gives the same cells.
        let head = Head(span: 3600)
        let known = UInt32(catalog.seriesCount)
        let wal = WriteAheadLog(directory: directory.walDirectory, rotateBytes: Int.max)
        if FileIO.isDirectory(directory.walDirectory) {
            let replay = try wal.replay() { id, ts, bits in
                guard floorDiv(ts, 1000) >= sealedUntil, id < known else { return }
                head.put(series: id, timestampMs: ts, valueBits: bits)
            }
            // A torn tail is normal while a server is appending to the newest file.
            problems.append(contentsOf: replay.filter { !$0.tornTail }.map { "\($0)" })
        }
        self.head = head
        self.problems = problems
        let found = ProblemList()
        readProblems = found
        segments = SegmentWindowReader(directory: directory) { found.add($0) }
    }

    /// Damaged segment files met while exporting (skipped), for logging by the caller.
    public var segmentProblems: [StorageProblem] { readProblems.items }
    public var damage: [String] { problems + segmentProblems.map(\.description) }
    private let readProblems: ProblemList

    public func catalogSeries() -> [ExportSeriesRef] { series }

    public func dataBounds() throws -> (first: Int64, last: Int64)? {
        mergeBounds(try segments.bounds(), headBounds(Array(head.segments.values))).map { (first: $0.0, last: $0.1) }
    }

    public func fill(_ selected: [ExportSeriesRef], fromSecond: Int64, into buffers: WindowBuffers) throws {
        try segments.fill(names: selected.map(\.selector), fromSecond: fromSecond, into: buffers)
        copyHeadCells(Array(head.segments.values), ids: selected.map(\.id), fromSecond: fromSecond, into: buffers)
    }
}

/// A window reading session over a running `Store`: the head is copied under the store
/// lock (per window), then segments are read without it.
public final class LiveStoreSession: StoreWindowSession {
    private let store: Store
    private let segments: SegmentWindowReader

    public init(store: Store) {
        self.store = store
        segments = SegmentWindowReader(directory: store.directory) { [store] in store.report($0) }
    }

    public func catalogSeries() -> [ExportSeriesRef] {
        store.lock.lock()
        defer { store.lock.unlock() }
        return (0..<UInt32(store.catalog.seriesCount)).map { ExportSeriesRef(id: $0, labels: store.catalog.labels(of: $0)) }
    }

    private func heads() -> [SegmentBuffer] {
        Array(store.head.segments.values) + store.sealing.map(\.buffer) + store.sealRetry.map(\.buffer)
    }

    public func dataBounds() throws -> (first: Int64, last: Int64)? {
        store.lock.lock()
        let h = headBounds(heads())
        store.lock.unlock()
        return mergeBounds(try segments.bounds(), h).map { (first: $0.0, last: $0.1) }
    }

    public func fill(_ selected: [ExportSeriesRef], fromSecond: Int64, into buffers: WindowBuffers) throws {
        // Head first, segments after: a seal committing in between moves cells from the
        // head into a segment we then list, so nothing falls between the two reads.
        store.lock.lock()
        copyHeadCells(heads(), ids: selected.map(\.id), fromSecond: fromSecond, into: buffers)
        store.lock.unlock()
        try segments.fill(names: selected.map(\.selector), fromSecond: fromSecond, into: buffers)
    }
}

/// Problems collected by an export snapshot, each once.
final class ProblemList: @unchecked Sendable {
    private var seen: Set<StorageProblem> = []
    private(set) var items: [StorageProblem] = []
    func add(_ p: StorageProblem) {
        if seen.insert(p).inserted { items.append(p) }
    }
}
