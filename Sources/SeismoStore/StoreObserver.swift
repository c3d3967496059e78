import SeismoModel

/// Receives every sample once it is durable, for work that must see all traffic but
/// must not slow the acknowledgement down (inline anomaly detection).
///
/// The commit thread calls `samplesDurable` right after the fsync that made the samples
/// durable and before the writers are answered, so an implementation must only hand the
/// batch over (enqueue) and return; anything slow belongs on its own thread.
public protocol StoreObserver: AnyObject, Sendable {
    func samplesDurable(_ samples: DurableSamples)
}

/// Samples made durable by one group commit, in the order they were appended: the WAL
/// bytes themselves, so handing them over costs no copy per sample.
public struct DurableSamples: Sendable {
    let walBytes: [UInt8]

    init(walBytes: [UInt8]) {
        self.walBytes = walBytes
    }

    /// Upper bound of the number of samples (each takes at least 10 WAL bytes).
    public var approximateCount: Int { walBytes.count / WALSamples.minimumEntryBytes }

    /// Calls `body(seriesId, timestampMs, valueBits)` for each sample.
    public func forEach(_ body: (UInt32, Int64, UInt64) -> Void) {
        // These bytes were framed by this process a moment ago, so the checksums are not
        // verified again; a malformed record would be a bug, and ends the walk.
        walBytes.withUnsafeBytes { raw in
            var offset = 0
            while raw.count - offset >= RecordLog.headerSize {
                let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                let end = offset + RecordLog.headerSize + length
                guard end <= raw.count else { return }
                WALSamples.forEach(UnsafeRawBufferPointer(rebasing: raw[(offset + RecordLog.headerSize)..<end]), body)
                offset = end
            }
        }
    }
}

extension Store {
    /// The label set of a series id handed out by this store (for observers).
    public func labels(ofSeries id: UInt32) -> [(name: String, value: String)] {
        lock.lock()
        defer { lock.unlock() }
        return catalog.labels(of: id)
    }

    /// The metric type Prometheus declared for a metric family, if it sent metadata.
    public func metricKind(family: String) -> MetricMetadata.Kind? {
        lock.lock()
        defer { lock.unlock() }
        return catalog.metadata[family]?.kind
    }
}
