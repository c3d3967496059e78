import CoreMetrics
import Foundation
import Logging
import SeismoModel
#if canImport(Glibc)
import Glibc
#endif

/// Reports damage found in the data directory: one log line (path, byte offset,
/// reason) and one count in `seismo_storage_problems_total{kind}` per distinct
/// problem, however often reads run into it (a bad segment file is met by every query
/// that touches it).
final class ProblemReporter: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: Set<StorageProblem> = []
    private let counters: [StorageProblem.Kind: Counter] = Dictionary(uniqueKeysWithValues: StorageProblem.Kind.allCases.map {
        ($0, Counter(label: "seismo_storage_problems_total", dimensions: [("kind", $0.rawValue)]))
    })

    /// Every problem reported so far, in the order first seen.
    private var all: [StorageProblem] = []

    func report(_ problem: StorageProblem, logger: Logger) {
        lock.lock()
        let isNew = seen.insert(problem).inserted
        if isNew { all.append(problem) }
        lock.unlock()
        guard isNew else { return }
        counters[problem.kind]?.increment()
        var metadata: Logger.Metadata = [
            "store.problem": "\(problem.kind.rawValue)", "store.file": "\(problem.path)", "store.reason": "\(problem.reason)",
        ]
        if let offset = problem.offset { metadata["store.offset"] = "\(offset)" }
        switch problem.kind {
        case .walTornTail, .unknownFile:
            logger.warning("data directory: \(problem.kind == .walTornTail ? "torn WAL tail cut" : "unexpected file")", metadata: metadata)
        default:
            logger.error("data directory: damaged file; the rest of the data is still served", metadata: metadata)
        }
    }

    var snapshot: [StorageProblem] {
        lock.lock()
        defer { lock.unlock() }
        return all
    }
}

extension Store {
    /// Problems found since this store was opened (recovery and reads).
    public func storageProblems() -> [StorageProblem] { problems.snapshot }

    func report(_ problem: StorageProblem) { problems.report(problem, logger: logger) }
}

extension Store {
    static let lostSeriesName = "seismo_lost_series"

    /// After catalog damage the WAL may still hold samples of series whose records were
    /// lost. Their ids must not be handed to new series (a later replay of the same WAL
    /// would mix the two), so each missing id up to `maxId` gets a placeholder series
    /// `seismo_lost_series{seismo_id="<id>"}` that keeps the samples. Written to the
    /// catalog at once, before any new series can take the ids. Returns how many.
    func adoptLostSeries(upTo maxId: UInt32) throws -> Int {
        let missing = Int(maxId) + 1 - catalog.seriesCount
        guard missing > 0, missing <= config.maxSeries else { return 0 }
        for id in catalog.seriesCount...Int(maxId) {
            let key = LabelKey.encode([("__name__", Self.lostSeriesName), ("seismo_id", String(id))])
            // A placeholder of an earlier recovery may already hold a lower id: then this
            // key resolves to it and the new ids would not line up; stop there.
            let got = key.withUnsafeBytes { catalog.resolve($0) }
            guard got == UInt32(id) else { break }
        }
        let records = catalog.pending
        catalog.pending = []
        try FileIO.writeAll(catalogFD, records, path: directory.catalogPath)
        try FileIO.fsync(catalogFD, path: directory.catalogPath)
        catalogSize += off_t(records.count)
        return missing
    }
}
