import CoreMetrics
import Metrics

/// HTTP-level self-metrics.
struct ServerMetrics {
    let samplesReceived = Counter(label: "seismo_samples_received_total")
    let exemplarsIgnored = Counter(label: "seismo_exemplars_ignored_total")
    let seriesRejected = Counter(label: "seismo_series_rejected_total")
    let metadataReceived = Counter(label: "seismo_metadata_received_total")
    let writeBodyBytes = Counter(label: "seismo_write_body_bytes_total")
    let writeDuration = Timer(label: "seismo_write_request_duration_seconds", preferredDisplayUnit: .seconds)
    let inFlight = Gauge(label: "seismo_http_requests_in_flight")

    /// Requests refused whole by a limit, by limit name (`body_size`, `decoded_size`,
    /// `series_per_request`, `concurrent_requests`); per-series limits are counted in
    /// `seismo_samples_rejected_total{reason=…}` instead.
    func refused(limit: String) {
        Counter(label: "seismo_requests_refused_total", dimensions: [("limit", limit)]).increment()
    }

    let unauthorizedRequests = Counter(label: "seismo_requests_unauthorized_total")
    func unauthorized() { unauthorizedRequests.increment() }

    /// Counts a finished request by endpoint and status code.
    func request(handler: String, code: UInt) {
        Counter(label: "seismo_http_requests_total", dimensions: [("handler", handler), ("code", String(code))]).increment()
    }
}
