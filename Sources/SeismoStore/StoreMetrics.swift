import CoreMetrics
import SeismoModel

/// The store's self-metrics, created once (swift-metrics handles are cheap to bump).
struct StoreMetrics {
    let samplesStored = Counter(label: "seismo_samples_stored_total")
    let rejected: [Counter] = RejectionReason.allCases.map {
        Counter(label: "seismo_samples_rejected_total", dimensions: [("reason", $0.rawValue)])
    }
    let collisions = Counter(label: "seismo_sample_collisions_total")
    let newSeries = Counter(label: "seismo_series_created_total")
    let walBytes = Counter(label: "seismo_wal_bytes_written_total")
    let walCommits = Counter(label: "seismo_wal_commits_total")
    let walFailures = Counter(label: "seismo_wal_failures_total")
    /// Commits that waited the full `Store.gatherSeconds` for announced requests: a
    /// slow sender mid-body, or an announcement never settled.
    let walGatherTimeouts = Counter(label: "seismo_wal_commit_gather_timeouts_total")
    let walFsync = Timer(label: "seismo_wal_fsync_duration_seconds", preferredDisplayUnit: .seconds)
    let walFilesDeleted = Counter(label: "seismo_wal_files_deleted_total")
    let replayedSamples = Counter(label: "seismo_wal_replayed_samples_total")
    let series = Gauge(label: "seismo_series")
    let headSamples = Gauge(label: "seismo_head_samples")
    let headColumns = Gauge(label: "seismo_head_series_columns")
    let segmentsSealed = Counter(label: "seismo_segments_sealed_total")
    let segmentBytesWritten = Counter(label: "seismo_segment_bytes_written_total")
    let sealFailures = Counter(label: "seismo_seal_failures_total")
    let sealDuration = Timer(label: "seismo_seal_duration_seconds", preferredDisplayUnit: .seconds)
    let segmentsDeleted = Counter(label: "seismo_segments_deleted_total")
    let sealedUntil = Gauge(label: "seismo_sealed_until_seconds")
    let newestSecond = Gauge(label: "seismo_newest_sample_seconds")

    func recordRejections(_ r: Rejections) {
        for (i, reason) in RejectionReason.allCases.enumerated() {
            let n = r.count(reason)
            if n > 0 { rejected[i].increment(by: n) }
        }
    }
}
