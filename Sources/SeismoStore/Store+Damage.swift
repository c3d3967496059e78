import CoreMetrics
import Foundation
import Logging

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
