#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import Logging
import SeismoModel

/// What happened to a write request's samples.
public struct AppendResult: Sendable {
    public var stored: Int
    public var rejections: Rejections
    public var collisions: Int
}

/// The per-second columnar store: series catalog + WAL + in-memory head + sealed
/// Parquet segments. Thread-safe; `append` may be called from any thread.
///
/// Durability contract: `append` applies samples to the head and queues their WAL
/// record; `onDurable` fires once that record is fsynced (group commit: one fsync
/// covers every request queued meanwhile). Only then may the caller acknowledge.
public final class Store: @unchecked Sendable {
    public let config: StoreConfig
    let directory: DataDirectory
    let logger: Logger
    let metrics = StoreMetrics()
    let problems = ProblemReporter()

    /// Guards everything below up to `walLock`'s section.
    let lock = NSCondition()
    let head: Head
    let catalog: SeriesCatalog
    /// Newest second seen; the out-of-order window trails it (not the wall clock, so
    /// captured traffic can be replayed into a fresh store).
    var newestSecond = Store.noSecond
    /// Every second below this is sealed in segments; samples there are refused.
    var sealedUntil = Store.noSecond
    var pendingWAL: [UInt8] = []
    var pendingMaxSecond = Int64.min
    var pendingSeq: UInt64 = 0
    var durableSeq: UInt64 = 0
    /// Last sequence number the commit thread finished, successfully or not.
    var processedSeq: UInt64 = 0
    var waiters: [(seq: UInt64, done: (Result<Void, StoreError>) -> Void)] = []
    /// Requests announced by `expectAppend` that have not appended yet. Atomic, so an
    /// announcement (one per request, on the event loop) does not take `lock`; only the
    /// commit loop waits on it, under `lock`, and whoever counts one off signals it there.
    let expectedAppends = Atomic<Int>(0)
    /// What the commit loop is waiting for (under `lock`): appends signal it only when
    /// that is what they bring, not on every append (each futile wake-up is a context
    /// switch of the commit thread).
    var commitLoopWaits = CommitLoopWait.running
    var closing = false
    var commitStopped = false
    /// Segments detached from the head whose seal failed; retried by the seal loop.
    var sealRetry: [PendingSeal] = []
    /// Segments being written right now; reads still see their cells here.
    var sealing: [PendingSeal] = []

    /// Serialises file appends (commit thread) with rotation/truncation (seal thread).
    let walLock = NSLock()
    let wal: WriteAheadLog
    var catalogFD: Int32 = -1
    var catalogSize: off_t = 0

    let sealMutex = NSLock()
    let sealSignal = NSCondition()
    var sealStop = false
    var threads: [Thread] = []
    let threadsDone = DispatchGroup()
    private var lockFD: Int32 = -1

    static let noSecond = Int64.min / 4
    /// How many series ahead `appendCore` prefetches head pages: enough for a memory
    /// load to land while the series in between are written (~100 ns each).
    static let prefetchDistance = 4

    /// Sees every durable sample (set before `start()`); see `StoreObserver`.
    public var observer: (any StoreObserver)?

    /// Opens (creating if needed) and recovers a data directory. Does not start the
    /// background threads: call `start()`.
    public init(config: StoreConfig, logger: Logger) throws {
        try config.validate()
        self.config = config
        self.logger = logger
        directory = DataDirectory(root: config.dataDirectory)
        try directory.createLayout()
        lockFD = try directory.lock()
        // Spill files are scratch for the head of the previous run (the WAL holds their
        // samples): start empty.
        FileIO.removeTree(directory.headSpillDirectory)
        try FileIO.makeDirectory(directory.headSpillDirectory)
        head = Head(span: config.segmentSpanSeconds, spillDirectory: directory.headSpillDirectory)
        catalog = SeriesCatalog(path: directory.catalogPath)
        wal = WriteAheadLog(directory: directory.walDirectory, rotateBytes: config.walFileBytes)
        try recover()
    }

    private func recover() throws {
        for name in directory.removeTemporarySegments() {
            logger.warning("removed unfinished segment from an interrupted seal", metadata: ["store.segment": "\(name)"])
        }
        // Damage is reported and worked around, never fatal: the valid part of every file
        // is served (storage-format §9).
        for problem in directory.survey() { report(problem) }
        if let problem = try catalog.load(quarantine: directory.quarantineDirectory) { report(problem) }
        catalogFD = try FileIO.open(directory.catalogPath, flags: O_WRONLY | O_CREAT | O_APPEND)
        catalogSize = off_t(FileIO.fileSize(directory.catalogPath) ?? 0)
        let sealed = directory.sealedUntil()
        if sealed != Int64.min {
            sealedUntil = sealed
            newestSecond = sealed - 1
        }
        var replayed = 0
        var orphans: [(id: UInt32, timestampMs: Int64, bits: UInt64)] = []
        let seriesCount = UInt32(catalog.seriesCount)
        let walProblems = try wal.replay(quarantine: directory.quarantineDirectory) { id, ts, bits in
            let second = floorDiv(ts, 1000)
            guard second >= sealedUntil else { return }
            guard id < seriesCount else {
                orphans.append((id, ts, bits))  // its series record was lost with catalog damage
                return
            }
            head.put(series: id, timestampMs: ts, valueBits: bits)
            newestSecond = max(newestSecond, second)
            replayed += 1
        }
        for p in walProblems { report(p.storageProblem) }
        if !orphans.isEmpty {
            let adopted = try adoptLostSeries(upTo: orphans.map(\.id).max()!)
            for o in orphans where o.id < UInt32(catalog.seriesCount) {
                head.put(series: o.id, timestampMs: o.timestampMs, valueBits: o.bits)
                newestSecond = max(newestSecond, floorDiv(o.timestampMs, 1000))
                replayed += 1
            }
            logger.error("write-ahead log: samples of series missing from the catalog (lost with catalog damage)",
                         metadata: ["store.samples": "\(orphans.count)", "store.placeholder_series": "\(adopted)"])
        }
        try wal.openNewFile()
        metrics.replayedSamples.increment(by: replayed)
        metrics.series.record(catalog.seriesCount)
        updateHeadGauges()
        logger.info("store recovered", metadata: [
            "store.dir": "\(config.dataDirectory)", "store.series": "\(catalog.seriesCount)",
            "store.replayed_samples": "\(replayed)", "store.sealed_until": "\(sealedUntil == Store.noSecond ? "none" : String(sealedUntil))",
            "store.segments": "\(directory.listSegments().count)",
        ])
    }

    /// Starts the commit (group fsync) and seal threads.
    public func start() {
        for (name, body) in [("seismo-wal-commit", commitLoop), ("seismo-seal", sealLoop)] as [(String, () -> Void)] {
            threadsDone.enter()
            let t = Thread { [threadsDone] in
                nameCurrentThread(name)
                body()
                threadsDone.leave()
            }
            t.name = name
            t.start()
            threads.append(t)
        }
    }

    /// Appends a decoded request. Throws (nothing applied) when the store cannot accept
    /// writes now; otherwise calls `onDurable` with what was stored and refused once the
    /// stored samples are fsynced (on the commit thread), or at once, on the calling
    /// thread, if nothing needed writing. The same result is also returned.
    @discardableResult
    public func append(_ batch: WriteBatch, nowMs: Int64,
                       onDurable: @escaping (Result<AppendResult, StoreError>) -> Void) throws -> AppendResult {
        try append(batch, nowMs: nowMs, resolvedIds: nil, onDurable: onDurable)
    }

    /// As above; also writes the store's id of each `batch.series[i]` to `resolvedIds[i]`
    /// (`BatchSeries.unresolved` where none was assigned: no sample in the open window, or
    /// the series limit), for the wire decoder to learn (`WriteRequestDecoder.learn`).
    /// `batch.series` entries with a `seriesHint` must carry ids this store gave out.
    /// `announced`: the caller announced this append with `expectAppend` (and must not
    /// also cancel it).
    @discardableResult
    public func append(_ batch: WriteBatch, nowMs: Int64, resolvedIds: UnsafeMutablePointer<UInt32>?,
                       announced: Bool = false,
                       onDurable: @escaping (Result<AppendResult, StoreError>) -> Void) throws -> AppendResult {
        try appendCore(batch, nowMs: nowMs, resolvedIds: resolvedIds, announced: announced, onDurable: onDurable)
    }

    /// Appends data the server derives itself (anomaly scores) without waiting for, or
    /// asking for, an fsync: it is written with the next commit a request triggers, or
    /// within a second. Nobody is told it is stored, so a crash before then loses nothing
    /// that was acknowledged. At light load this halves the fsyncs: the scores of one
    /// request no longer take a commit of their own before the next request.
    @discardableResult
    public func appendWithoutWaiting(_ batch: WriteBatch, nowMs: Int64) throws -> AppendResult {
        try appendCore(batch, nowMs: nowMs, resolvedIds: nil, announced: false, onDurable: nil)
    }

    /// `onDurable` nil: nothing waits for this append's commit (`appendWithoutWaiting`).
    private func appendCore(_ batch: WriteBatch, nowMs: Int64, resolvedIds: UnsafeMutablePointer<UInt32>?,
                            announced: Bool, onDurable: ((Result<AppendResult, StoreError>) -> Void)?) throws -> AppendResult {
        var result = AppendResult(stored: 0, rejections: batch.rejections, collisions: 0)
        let maxFutureMs = nowMs &+ config.maxFutureMilliseconds
        lock.lock()
        if announced { expectedAppends.subtract(1, ordering: .relaxed) }
        if closing {
            lock.unlock()
            throw StoreError.closed
        }
        if pendingWAL.count > config.maxPendingWALBytes {
            lock.unlock()
            throw StoreError.overloaded("\(pendingWAL.count) WAL bytes waiting for fsync")
        }
        for m in batch.metadata { catalog.update(m) }
        let seriesBefore = catalog.seriesCount

        // The window is judged against the newest second including this request, so the
        // answer does not depend on the order of series inside the request.
        var batchMax = Int64.min
        for ts in batch.timestamps where ts <= maxFutureMs && ts > batchMax { batchMax = ts }
        if batchMax != Int64.min { newestSecond = max(newestSecond, floorDiv(batchMax, 1000)) }
        // Before the Unix epoch is refused too: segment names are unsigned seconds.
        let lowestSecond = max(sealedUntil, newestSecond - config.headWindowSeconds, 0)
        let lowestMs = lowestSecond &* 1000

        // The record is built in a local buffer (swapped out of `pendingWAL`, which only
        // this lock guards) with one bulk reservation per request, and class references
        // are hoisted: per sample, the loop then does no dynamic exclusivity check, no
        // retain and no generic `append`, which together cost more than the head write.
        var wal: [UInt8] = []
        swap(&wal, &pendingWAL)
        let walMark = wal.count
        let recordStart = RecordLog.begin(&wal)
        wal.append(WALSamples.deltaRecord)
        let entriesStart = wal.count
        wal.append(contentsOf: repeatElement(0, count: batch.sampleCount * WALSamples.DeltaWriter.maxBytes))
        var walWriter = WALSamples.DeltaWriter()
        var entriesEnd = entriesStart
        var maxStoredMs = Int64.min
        let head = self.head
        let catalog = self.catalog
        let maxSeries = config.maxSeries
        let futureSeconds = config.maxFutureMilliseconds / 1000
        wal.withUnsafeMutableBytes { walRaw in
            let walBase = walRaw.baseAddress!
            batch.labelBytes.withUnsafeBytes { labels in
                batch.timestamps.withUnsafeBufferPointer { timestamps in
                    batch.valueBits.withUnsafeBufferPointer { values in
                        let knownSeries = UInt32(catalog.seriesCount)
                        let allSeries = batch.series
                        for (n, s) in allSeries.enumerated() {
                            // Known series arrive with their id: ask for the page a few
                            // series ahead now, so its cache miss is paid in parallel.
                            if n + Self.prefetchDistance < allSeries.count {
                                let next = allSeries[n + Self.prefetchDistance]
                                if next.seriesHint < knownSeries, next.sampleCount > 0 {
                                    head.prefetch(series: next.seriesHint, timestampMs: timestamps[Int(next.sampleOffset)])
                                }
                            }
                            let key = UnsafeRawBufferPointer(rebasing: labels[Int(s.keyOffset)..<Int(s.keyOffset + s.keyLength)])
                            var id: UInt32?
                            if s.seriesHint != BatchSeries.unresolved {
                                precondition(s.seriesHint < knownSeries, "series hint \(s.seriesHint) from another store")
                                id = s.seriesHint
                            }
                            defer { resolvedIds?[n] = id ?? BatchSeries.unresolved }
                            let first = Int(s.sampleOffset)
                            for i in first..<(first + Int(s.sampleCount)) {
                                let ts = timestamps[i]
                                if ts > maxFutureMs {
                                    result.rejections.add(.tooFarInFuture, samples: 1) {
                                        "\(catalog.describe(key, id: id)) at \(ts) ms, more than \(futureSeconds)s after the server clock \(nowMs) ms"
                                    }
                                    continue
                                }
                                if ts < lowestMs {
                                    result.rejections.add(.tooOld, samples: 1) {
                                        "\(catalog.describe(key, id: id)) at \(ts) ms, before the open window starting at \(lowestMs) ms"
                                    }
                                    continue
                                }
                                guard let sid = id ?? catalog.resolve(key, limit: maxSeries) else {
                                    let refused = first + Int(s.sampleCount) - i
                                    result.rejections.add(.seriesLimit, samples: refused, wholeSeries: true) {
                                        "\(catalog.describe(key, id: nil)): the store holds \(maxSeries) series (limits.max_series)"
                                    }
                                    break
                                }
                                id = sid
                                if head.put(series: sid, timestampMs: ts, valueBits: values[i]) { result.collisions += 1 }
                                entriesEnd += walWriter.write(id: sid, timestampMs: ts, valueBits: values[i], at: walBase + entriesEnd)
                                result.stored += 1
                                if ts > maxStoredMs { maxStoredMs = ts }
                            }
                        }
                    }
                }
            }
        }
        wal.removeSubrange(entriesEnd...)
        if result.stored > 0 {
            RecordLog.finish(&wal, recordStart: recordStart)
            pendingMaxSecond = max(pendingMaxSecond, floorDiv(maxStoredMs, 1000))  // one division per request, not per sample
        } else {
            wal.removeSubrange(walMark...)
        }
        swap(&wal, &pendingWAL)
        let needsCommit = result.stored > 0 || !catalog.pending.isEmpty
        if needsCommit, let onDurable {
            pendingSeq += 1
            let final = result
            waiters.append((pendingSeq, { onDurable($0.map { final }) }))
            if commitLoopWaits == .forWork { lock.signal() }
        }
        if announced { wakeGatheringCommit() }
        let created = catalog.seriesCount - seriesBefore
        lock.unlock()

        metrics.samplesStored.increment(by: result.stored)
        if result.collisions > 0 { metrics.collisions.increment(by: result.collisions) }
        metrics.recordRejections(result.rejections)
        if created > 0 {
            metrics.newSeries.increment(by: created)
            metrics.series.record(seriesBefore + created)
        }
        if !needsCommit { onDurable?(.success(result)) }
        return result
    }


    func updateHeadGauges() {
        metrics.headSamples.record(head.sampleCount)
        metrics.headColumns.record(head.seriesColumns)
        if sealedUntil != Store.noSecond { metrics.sealedUntil.record(sealedUntil) }
        if newestSecond != Store.noSecond { metrics.newestSecond.record(newestSecond) }
    }

    /// Live figures for `/metrics`-style reporting and tests.
    public struct Stats: Sendable {
        public var series: Int
        public var headSamples: Int
        public var newestSecond: Int64?
        public var sealedUntil: Int64?
        public var segments: Int
    }

    public func stats() -> Stats {
        lock.lock()
        defer { lock.unlock() }
        return Stats(series: catalog.seriesCount, headSamples: head.sampleCount,
                     newestSecond: newestSecond == Store.noSecond ? nil : newestSecond,
                     sealedUntil: sealedUntil == Store.noSecond ? nil : sealedUntil,
                     segments: directory.listSegments().count)
    }

    /// Graceful stop: waits for queued writes, seals the whole head into segments (so a
    /// stopped data directory is a complete Parquet dataset), deletes the WAL it covers.
    public func close() {
        lock.lock()
        if closing {
            lock.unlock()
            return
        }
        closing = true
        lock.unlock()
        sealDue(final: true)
        sealSignal.lock()
        sealStop = true
        sealSignal.broadcast()
        sealSignal.unlock()
        lock.lock()
        commitStopped = true
        lock.broadcast()
        lock.unlock()
        threadsDone.wait()
        walLock.lock()
        lock.lock()
        let sealed = sealedUntil
        let unsealed = !sealRetry.isEmpty
        lock.unlock()
        wal.close()
        if !unsealed {
            metrics.walFilesDeleted.increment(by: wal.deleteFiles(below: sealed))
        }
        walLock.unlock()
        Glibc.close(catalogFD)
        Glibc.close(lockFD)
        logger.info("store closed", metadata: ["store.sealed_until": "\(sealed == Store.noSecond ? "none" : String(sealed))"])
    }
}

extension Store {
    /// Test hook: stops the background threads and releases files *without* sealing or
    /// truncating anything, leaving the directory as a `kill -9` would (minus the
    /// unsynced tail, which a crash test adds by hand).
    func simulateCrashForTesting() {
        lock.lock()
        closing = true
        commitStopped = true
        lock.broadcast()
        lock.unlock()
        sealSignal.lock()
        sealStop = true
        sealSignal.broadcast()
        sealSignal.unlock()
        threadsDone.wait()
        walLock.lock()
        wal.close()
        walLock.unlock()
        Glibc.close(catalogFD)
        Glibc.close(lockFD)
    }
}
