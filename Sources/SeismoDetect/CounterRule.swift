/// Decides whether a series is a monotonically increasing counter, so the
/// detectors score its per-second rate instead of its raw (ever-growing) value.
///
/// Rules, in order:
/// 1. Metadata type wins when present: `"counter"` → counter; any other type
///    (`"gauge"`, `"histogram"`, `"summary"`, …) → look at the name only for the
///    histogram/summary parts below, because Prometheus sends the *family* type
///    for `_bucket`/`_count`/`_sum` series.
/// 2. Name suffixes `_total`, `_count`, `_bucket` are counters: they only grow
///    (until a reset) by the exposition-format definition.
/// 3. `_sum` is **not** treated as a counter: a summary/histogram sum can fall
///    when negative observations are recorded, and reading that fall as a reset
///    would invent a rate spike. Its raw value is scored instead.
/// 4. `_created` series (creation timestamps) are never counters.
public enum CounterRule {
    public static func isCounter(metricName: String, metadataType: String?) -> Bool {
        if metricName.hasSuffix("_created") { return false }
        if let type = metadataType?.lowercased() {
            if type == "counter" { return true }
            if type == "gauge" || type == "stateset" || type == "info" { return false }
            // histogram, gaugehistogram, summary, unknown: decide by the series' suffix.
            if type == "gaugehistogram" { return false }
        }
        return metricName.hasSuffix("_total")
            || metricName.hasSuffix("_count")
            || metricName.hasSuffix("_bucket")
    }
}
