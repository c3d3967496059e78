import SeismoStore

/// Labels of the series that were recently the top series of an alerting group.
///
/// A group in an alert state hands its top series' labels to the evaluator at every
/// flush, and the top series moves between the group's few anomalous members from one
/// second to the next, so a one-entry cache per group missed often. Each miss took the
/// store's lock (contended with the ingest threads) and decoded the label strings:
/// together about a tenth of the watch thread under load. A series id names the same
/// labels for the life of the store, so entries never go stale; the cache is bounded
/// by emptying it when full, which keeps it at a few MB even with millions of series.
struct SeriesLabelCache {
    let capacity: Int
    private var entries: [UInt32: [(name: String, value: String)]] = [:]

    init(capacity: Int = 16_384) {
        precondition(capacity > 0, "label cache capacity must be positive")
        self.capacity = capacity
    }

    var count: Int { entries.count }

    mutating func labels(of id: UInt32, in store: Store) -> [(name: String, value: String)] {
        if let labels = entries[id] { return labels }
        let labels = store.labels(ofSeries: id)
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[id] = labels
        return labels
    }
}
