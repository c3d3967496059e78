import CoreMetrics

/// Self-metrics of inline detection (exported on `/metrics`, used by the dashboard).
struct WatchMetrics {
    let samplesScored = Counter(label: "seismo_detect_samples_total")
    let batchesDropped = Counter(label: "seismo_detect_batches_dropped_total")
    let samplesDropped = Counter(label: "seismo_detect_samples_dropped_total")
    let queueLength = Gauge(label: "seismo_detect_queue_batches")
    let watchedSeries = Gauge(label: "seismo_detect_watched_series")
    let groups = Gauge(label: "seismo_detect_groups")
    /// Wall time spent scoring one durable batch, divided by its samples, in nanoseconds.
    let nanosPerSample = Gauge(label: "seismo_detect_nanoseconds_per_sample")
    let batchDuration = Timer(label: "seismo_detect_batch_duration_seconds", preferredDisplayUnit: .seconds)
    let alertTransitions = Counter(label: "seismo_detect_alert_transitions_total")
    let ruleReloads = Counter(label: "seismo_rules_reloads_total")
    let ruleReloadFailures = Counter(label: "seismo_rules_reload_failures_total")
}
