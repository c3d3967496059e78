#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SeismoModel
import SeismoParquet

/// A head segment detached for sealing, with the second range its directory will name.
struct PendingSeal {
    let buffer: SegmentBuffer
    let name: DataDirectory.SegmentName
    /// The label key of each series id present, copied under the store lock; names and
    /// labels JSON are made from them outside it (`columns`): for 100k series that
    /// formatting held the lock, and stalled every write, for ~0.1 s per seal.
    let keys: [(id: UInt32, key: [UInt8])]

    /// Column name per series id present, and its labels as JSON when the footer is to
    /// carry them (`segmentFooterLabels`, format 1; empty otherwise).
    func columns(withLabelsJSON: Bool) -> [(id: UInt32, name: String, labelsJSON: String)] {
        keys.map { id, key in
            let labels = LabelKey.decode(key) ?? []
            return (id, LabelKey.selector(labels), withLabelsJSON ? Store.labelsJSON(labels) : "")
        }
    }
}

extension Store {
    /// Background loop: seals segments that left the out-of-order window, applies
    /// retention, retries failed seals.
    func sealLoop() {
        var lastRetention = 0.0
        while true {
            sealSignal.lock()
            if !sealStop { _ = sealSignal.wait(until: Date().addingTimeInterval(1)) }
            let stop = sealStop
            sealSignal.unlock()
            if stop { return }
            sealDue(final: false)
            let now = Date().timeIntervalSince1970
            if config.retentionSeconds > 0 && now - lastRetention >= 60 {
                applyRetention(nowSeconds: Int64(now))
                lastRetention = now
            }
        }
    }

    /// Seals what is due. `final` seals the whole head (graceful stop).
    func sealDue(final: Bool) {
        sealMutex.lock()
        defer { sealMutex.unlock() }

        lock.lock()
        let limit = final ? newestSecond + 1 : newestSecond - config.headWindowSeconds
        var work = sealRetry
        sealRetry = []
        var previous = sealedUntil
        for buffer in (final ? head.detachAll() : head.detachSegments(endingAtOrBefore: limit)) {
            let lower = max(buffer.start, previous)
            let upper = min(buffer.start + buffer.span, max(limit, buffer.lastSecond + 1))
            previous = upper
            let keys = buffer.seriesIds.map { id in (id, Array(catalog.index.key(of: id))) }
            work.append(PendingSeal(buffer: buffer, name: .init(start: lower, end: upper), keys: keys))
        }
        if let last = work.map(\.name.end).max() { sealedUntil = max(sealedUntil, last) }
        sealing = work
        // Appends that did not wait for their fsync (`appendWithoutWaiting`) may sit in
        // the queue: a commit is asked for, so the wait below covers them too (a segment
        // must not name a series whose catalog record is not durable yet).
        if !work.isEmpty && (!pendingWAL.isEmpty || !catalog.pending.isEmpty) {
            pendingSeq += 1
            lock.signal()
        }
        let waitFor = pendingSeq
        if newestSecond != Store.noSecond { head.freezeIdle(newestSecond: newestSecond) }
        updateHeadGauges()
        lock.unlock()
        guard !work.isEmpty else { return }

        // A segment must not hold anything the WAL might still lose: wait for the fsync
        // covering the requests that wrote into these buffers.
        waitDurable(waitFor)

        var failed: [PendingSeal] = []
        for seal in work {
            // Segments are written oldest first and stop at the first failure: recovery
            // takes the newest segment's end as the sealed watermark and skips WAL samples
            // below it, so a newer segment on disk would hide an older unsealed one.
            if !failed.isEmpty {
                failed.append(seal)
                continue
            }
            let started = DispatchTime.now().uptimeNanoseconds
            do {
                let bytes = try writeSegment(seal)
                metrics.segmentsSealed.increment()
                metrics.segmentBytesWritten.increment(by: Int(bytes))
                logger.info("segment sealed", metadata: [
                    "store.segment": "\(seal.name.directoryName)", "store.series": "\(seal.keys.count)",
                    "store.samples": "\(seal.buffer.sampleCount)", "store.bytes": "\(bytes)",
                ])
            } catch {
                failed.append(seal)
                metrics.sealFailures.increment()
                logger.error("sealing a segment failed; kept in memory and WAL, will retry",
                             metadata: ["store.segment": "\(seal.name.directoryName)", "store.error": "\(error)"])
            }
            metrics.sealDuration.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))
        }

        lock.lock()
        sealing = []
        sealRetry.append(contentsOf: failed)
        let sealed = sealedUntil
        lock.unlock()
        guard failed.isEmpty else { return }
        do {
            try directory.writeCheckpoint(sealedUntil: sealed)
        } catch {
            logger.error("writing the checkpoint failed", metadata: ["store.error": "\(error)"])
            return
        }
        // The WAL files now wholly below the watermark are redundant with the segments.
        walLock.lock()
        do {
            try wal.rotateIfNotEmpty()
        } catch {
            logger.error("rotating the write-ahead log failed", metadata: ["store.error": "\(error)"])
        }
        // Both lines are at debug level; the kill -9 loop (scripts/kill-loop) reads them to
        // tell whether a kill landed inside a truncation.
        logger.debug("truncating write-ahead log", metadata: ["store.sealed_until": "\(sealed)"])
        let deleted = wal.deleteFiles(below: sealed, pauseAfterFirst: FaultHooks.truncationPause)
        walLock.unlock()
        logger.debug("write-ahead log truncated", metadata: ["store.files_deleted": "\(deleted)"])
        metrics.walFilesDeleted.increment(by: deleted)
    }

    /// Writes one segment directory: column-group files into a temporary directory,
    /// each fsynced, then one rename makes the whole segment visible at once.
    func writeSegment(_ seal: PendingSeal) throws -> Int64 {
        let finalPath = directory.segmentPath(seal.name)
        let tmpPath = directory.segmentsDirectory + "/.tmp-" + seal.name.directoryName
        FileIO.removeTree(tmpPath)
        try FileIO.makeDirectory(tmpPath)
        do {
            let total = try writeColumnGroups(seal, into: tmpPath)
            try FileIO.fsyncDirectory(tmpPath)
            try FileIO.rename(tmpPath, finalPath)
            try FileIO.fsyncDirectory(directory.segmentsDirectory)
            return total
        } catch {
            // A half-written segment on a full disk would keep the space the WAL needs to
            // recover; the retry rewrites it from the head anyway.
            FileIO.removeTree(tmpPath)
            throw error
        }
    }

    private func writeColumnGroups(_ seal: PendingSeal, into tmpPath: String) throws -> Int64 {
        let buffer = seal.buffer
        let firstRow = buffer.firstSecond
        let rowCount = Int(buffer.lastSecond - buffer.firstSecond + 1)
        let timestamps = (0..<Int64(rowCount)).map { (firstRow + $0) * 1000 }
        var total: Int64 = 0
        var groups: [Int: [(id: UInt32, name: String, labelsJSON: String)]] = [:]
        for c in seal.columns(withLabelsJSON: config.segmentFooterLabels) { groups[Int(c.id) / config.columnsPerFile, default: []].append(c) }
        let seconds = firstRow..<(firstRow + Int64(rowCount))
        // The buffer is detached: its spill file is complete, so it is mapped once rather
        // than read with a pread per spilled blob of every column.
        let mapping = buffer.mapSpill()
        for group in groups.keys.sorted() {
            let members = groups[group]!.filter { buffer.hasSeries($0.id) }
            let seriesJSON = config.segmentFooterLabels
                ? "[" + members.map { "{\"column\":\(Self.jsonString($0.name)),\"id\":\($0.id),\"labels\":\($0.labelsJSON)}" }
                    .joined(separator: ",") + "]"
                : "[" + members.map { String($0.id) }.joined(separator: ",") + "]"
            let format = config.segmentFooterLabels ? 1 : 2
            let segmentJSON = "{\"format\":\(format),\"start\":\(seal.name.start),\"end\":\(seal.name.end),\"group\":\(group),\"columns_per_file\":\(config.columnsPerFile)}"
            let path = tmpPath + "/" + DataDirectory.columnGroupFileName(group)
            // The head keeps cells paged and compressed; the writer wants plain columns,
            // so each is decoded just before the writer encodes it, into the writer's
            // buffers (a block of all of a file's columns, zeroed first, was tens of MB
            // that left the cache between decoding and encoding).
            let written = try ParquetWriter.write(
                path: path, timestampsMs: timestamps, columnNames: members.map(\.name),
                fill: { j, values, tags in
                    buffer.copyCells(of: members[j].id, seconds: seconds, mapping: mapping, values: values, tags: tags)
                },
                keyValueMetadata: [("seismo.series", seriesJSON), ("seismo.segment", segmentJSON)],
                createdBy: "seismo", codec: .snappy, doubleEncoding: config.segmentDoubleEncoding,
                integerColumns: config.segmentIntegerColumns, fsync: true)
            total += Int64(written.bytes)
        }
        return total
    }

    /// Deletes whole segments that ended before now − retention.
    func applyRetention(nowSeconds: Int64) {
        let cutoff = nowSeconds - config.retentionSeconds
        for name in directory.listSegments() where name.end <= cutoff {
            let path = directory.segmentPath(name)
            // Rename first so a reader never sees a half-deleted segment.
            let doomed = directory.segmentsDirectory + "/.tmp-deleting-" + name.directoryName
            do {
                try FileIO.rename(path, doomed)
                FileIO.removeTree(doomed)
                metrics.segmentsDeleted.increment()
                logger.info("segment deleted by retention", metadata: ["store.segment": "\(name.directoryName)"])
            } catch {
                logger.error("retention could not delete a segment", metadata: ["store.segment": "\(name.directoryName)", "store.error": "\(error)"])
            }
        }
        try? FileIO.fsyncDirectory(directory.segmentsDirectory)
    }

    static func labelsJSON(_ labels: [(name: String, value: String)]) -> String { JSONText.object(labels) }

    static func jsonString(_ s: String) -> String { JSONText.quoted(s) }
}
