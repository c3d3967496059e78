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

    /// Counts a finished request by endpoint and status code.
    func request(handler: String, code: UInt) {
        Counter(label: "seismo_http_requests_total", dimensions: [("handler", handler), ("code", String(code))]).increment()
    }
}
