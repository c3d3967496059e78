#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import SeismoModel

extension Store {
    /// Group commit: takes everything queued since the last fsync, writes the catalog
    /// records first (a WAL record may only name series already durable in the catalog),
    /// then the WAL records, fsyncs both, and completes every waiting request at once.
    func commitLoop() {
        var walBytes: [UInt8] = []
        var catalogBytes: [UInt8] = []
        while true {
            lock.lock()
            // Woken by every append that waits for its fsync; the timeout writes what
            // `appendWithoutWaiting` left when no such append follows.
            while pendingWAL.isEmpty && catalog.pending.isEmpty && !commitStopped {
                commitLoopWaits = .forWork
                _ = lock.wait(until: Date().addingTimeInterval(1))
                commitLoopWaits = .running
            }
            if pendingWAL.isEmpty && catalog.pending.isEmpty && commitStopped {
                lock.unlock()
                return
            }
            gatherExpectedAppends()
            swap(&walBytes, &pendingWAL)
            swap(&catalogBytes, &catalog.pending)
            let seq = pendingSeq
            let maxSecond = pendingMaxSecond
            pendingMaxSecond = Int64.min
            lock.unlock()

            var failure: String?
            var catalogWritten = catalogBytes.isEmpty
            let started = DispatchTime.now().uptimeNanoseconds
            walLock.lock()
            do {
                if !catalogBytes.isEmpty {
                    try appendCatalog(catalogBytes)
                    catalogWritten = true
                }
                if !walBytes.isEmpty { try wal.append(walBytes, maxSecond: maxSecond) }
            } catch {
                failure = "\(error)"
            }
            walLock.unlock()
            metrics.walFsync.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))

            lock.lock()
            if !catalogWritten {
                // Keep the catalog records: their ids are already handed out in memory,
                // so they must reach the disk before any later WAL record.
                catalogBytes.append(contentsOf: catalog.pending)
                swap(&catalogBytes, &catalog.pending)
            }
            if failure == nil { durableSeq = seq }
            processedSeq = seq
            var ready: [(Result<Void, StoreError>) -> Void] = []
            waiters.removeAll { w in
                guard w.seq <= seq else { return false }
                ready.append(w.done)
                return true
            }
            lock.unlock()

            if let failure {
                metrics.walFailures.increment()
                logger.error("write-ahead log commit failed; writes answered with 5xx", metadata: ["store.error": "\(failure)"])
            } else {
                metrics.walCommits.increment()
                metrics.walBytes.increment(by: walBytes.count + catalogBytes.count)
            }
            var handedOver = false
            if failure == nil, !walBytes.isEmpty, let observer {
                observer.samplesDurable(DurableSamples(walBytes: walBytes))
                handedOver = true
            }
            let outcome: Result<Void, StoreError> = failure.map { .failure(.storageFailure($0)) } ?? .success(())
            for done in ready { done(outcome) }
            // A buffer the observer still holds is left to it: keeping the capacity would
            // copy it into a new allocation of the same size on every commit, and the
            // allocator kept megabytes of those freed later by the observer's thread.
            if handedOver { walBytes = [] } else { walBytes.removeAll(keepingCapacity: true) }
            catalogBytes.removeAll(keepingCapacity: true)
            if failure != nil && !pauseAfterFailure() { return }
        }
    }

    /// What the commit loop waits for, so appends wake it only when they bring it.
    enum CommitLoopWait {
        /// Not waiting: writing, fsyncing or answering.
        case running
        /// For anything to commit.
        case forWork
        /// For the announced appends (`gatherExpectedAppends`).
        case forAnnounced
    }

    /// Longest a commit waits for announced appends (`expectAppend`).
    static let gatherSeconds = 0.002

    /// Before an fsync, waits (up to `gatherSeconds`; called and returns with `lock` held)
    /// for the requests that were being received or decoded when it was due, so that one fsync covers
    /// them too: what PostgreSQL's commit_delay/commit_siblings do. Each fsync costs the
    /// server CPU of its own (the write, the flush, a wake-up of this thread and of every
    /// event loop it answers): at saturation perf put the commit loop at ~14 % of the
    /// server's CPU, nearly all of it per fsync rather than per byte. A lone request (light
    /// load: one connection, one request in flight) finds nothing announced and is not
    /// delayed at all.
    private func gatherExpectedAppends() {
        guard expectedAppends.load(ordering: .relaxed) > 0, !commitStopped else { return }
        let deadline = Date().addingTimeInterval(Self.gatherSeconds)
        commitLoopWaits = .forAnnounced
        defer { commitLoopWaits = .running }
        while expectedAppends.load(ordering: .relaxed) > 0 && !commitStopped {
            if !lock.wait(until: deadline) {
                if expectedAppends.load(ordering: .relaxed) > 0 { metrics.walGatherTimeouts.increment() }
                return
            }
        }
    }

    /// Wakes a commit gathering announced appends once the last of them has come (called
    /// with `lock` held, after counting one off).
    func wakeGatheringCommit() {
        if commitLoopWaits == .forAnnounced && expectedAppends.load(ordering: .relaxed) <= 0 { lock.signal() }
    }

    /// Announces an append about to come (a write request being received or decoded; the
    /// server announces it when the request head arrives): a commit due meanwhile
    /// waits for it (`gatherExpectedAppends`). Pass `announced: true` to that `append`, or
    /// call `cancelExpectedAppend` when there will be none.
    ///
    /// Lock-free: a commit that misses an announcement made at the same instant only
    /// goes without waiting for it, as if the request had come a moment later.
    public func expectAppend() {
        expectedAppends.add(1, ordering: .relaxed)
    }

    /// Withdraws an `expectAppend` (the request was refused before reaching the store).
    /// Signals under `lock`, so a commit waiting for the count to drop cannot miss it.
    public func cancelExpectedAppend() {
        lock.lock()
        expectedAppends.subtract(1, ordering: .relaxed)
        wakeGatheringCommit()
        lock.unlock()
    }

    /// After a failed commit the kept catalog records make the loop's wait condition true
    /// at once: without a pause it retries a full disk thousands of times a second. Waits
    /// up to a second (a new request or a stop wakes it). On a stop with nothing but those
    /// records left, gives them up and returns false: no durable WAL record names their
    /// series (a WAL record is only written after its catalog records), and waiting for
    /// space would hang the shutdown.
    private func pauseAfterFailure() -> Bool {
        lock.lock()
        if pendingWAL.isEmpty && !commitStopped { _ = lock.wait(until: Date().addingTimeInterval(1)) }
        guard commitStopped && pendingWAL.isEmpty else {
            lock.unlock()
            return true
        }
        if !catalog.pending.isEmpty {
            logger.error("stopping with series catalog records that could not be written",
                         metadata: ["store.bytes": "\(catalog.pending.count)"])
            catalog.pending.removeAll()
        }
        // Requests that only added series (all their samples refused) still wait.
        let left = waiters.map(\.done)
        waiters.removeAll()
        processedSeq = pendingSeq
        lock.unlock()
        for done in left { done(.failure(.storageFailure("series catalog not written before shutdown"))) }
        return false
    }

    private func appendCatalog(_ bytes: [UInt8]) throws {
        let path = directory.catalogPath
        do {
            try FileIO.writeAll(catalogFD, bytes, path: path)
            try FileIO.fsync(catalogFD, path: path)
        } catch {
            _ = ftruncate(catalogFD, catalogSize)
            throw error
        }
        catalogSize += off_t(bytes.count)
    }

    /// Blocks until everything queued up to `seq` is durable or failed.
    func waitDurable(_ seq: UInt64) {
        let done = DispatchSemaphore(value: 0)
        lock.lock()
        if processedSeq >= seq || seq == 0 {
            lock.unlock()
            return
        }
        waiters.append((seq, { _ in done.signal() }))
        lock.unlock()
        done.wait()
    }
}
