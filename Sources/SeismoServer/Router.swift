import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import Prometheus
import SeismoStore
import SeismoWatch

/// Maps method + path to an endpoint. Only this layer (and the endpoints it calls)
/// turn errors into HTTP status codes.
final class Router: @unchecked Sendable {
    let config: ServerConfig
    let store: Store
    let registry: PrometheusCollectorRegistry
    let logger: Logger
    let metrics = ServerMetrics()
    let write: WriteEndpoint
    let read: ReadEndpoint
    let export: ExportEndpoint
    let labels: LabelsEndpoint
    let report: ReportEndpoint
    private let inFlight = NIOLockedValueBox(0)
    private let stopping = NIOLockedValueBox(false)

    let alerts: AlertsEndpoint

    init(config: ServerConfig, store: Store, registry: PrometheusCollectorRegistry, logger: Logger, watch: WatchPipeline? = nil) {
        alerts = AlertsEndpoint(watch: watch)
        self.config = config
        self.store = store
        self.registry = registry
        self.logger = logger
        write = WriteEndpoint(store: store, limits: config.wire, metrics: metrics, logger: logger)
        read = ReadEndpoint(store: store, limits: config.readLimits, logger: logger, maxSamples: config.maxReadSamples)
        export = ExportEndpoint(store: store, logger: logger)
        labels = LabelsEndpoint(store: store, logger: logger)
        report = ReportEndpoint(store: store, watch: watch, logger: logger)
    }

    func bodyLimit(for head: HTTPRequestHead) -> Int {
        switch path(of: head) {
        case "/api/v1/write": return config.wire.maxCompressedBytes
        case "/api/v1/read": return config.readLimits.maxCompressedBytes
        default: return config.maxOtherBodyBytes
        }
    }

    /// The 401 for a request without the credentials its endpoint class needs. Checked
    /// on the request head, so an unauthenticated body is never buffered.
    func authorize(_ head: HTTPRequestHead) -> Response? {
        guard let refusal = config.auth.check(path: path(of: head), head: head) else { return nil }
        metrics.unauthorized()
        metrics.request(handler: "unauthorized", code: refusal.status.code)
        return refusal
    }

    private func path(of head: HTTPRequestHead) -> Substring {
        head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    }

    var requestsInFlight: Int { inFlight.withLockedValue { $0 } }

    func beginStopping() { stopping.withLockedValue { $0 = true } }

    /// Announces a remote write to the store as soon as its head arrives, so a commit
    /// falling due meanwhile waits for it (`AppendAnnouncement`); nil for anything else.
    func announceWrite(_ head: HTTPRequestHead) -> AppendAnnouncement? {
        guard head.method == .POST, path(of: head) == "/api/v1/write", !stopping.withLockedValue({ $0 }) else { return nil }
        return write.announce()
    }

    /// `announcement`: from `announceWrite` for this request; any path that does not
    /// reach the write endpoint withdraws it.
    func handle(head: HTTPRequestHead, body: ByteBuffer, eventLoop: any EventLoop, announcement: AppendAnnouncement? = nil,
                respond: @escaping (Response) -> Void) {
        defer { announcement?.withdraw() }
        let path = path(of: head)
        let handler: String
        switch path {
        case "/api/v1/write": handler = "write"
        case "/api/v1/read": handler = "read"
        case "/api/v1/export": handler = "export"
        case "/api/v1/labels": handler = "labels"
        case "/metrics": handler = "metrics"
        case "/api/v1/alerts": handler = "alerts"
        case "/report": handler = "report"
        case "/-/healthy": handler = "healthy"
        case "/-/ready": handler = "ready"
        default: handler = "other"
        }
        let admitted = inFlight.withLockedValue { n -> Bool in
            // Health, readiness and metrics are always answered: they are how an overload is seen.
            guard n < config.maxConcurrentRequests || handler == "healthy" || handler == "ready" || handler == "metrics" else {
                return false
            }
            n += 1
            return true
        }
        guard admitted else {
            metrics.refused(limit: "concurrent_requests")
            metrics.request(handler: handler, code: 503)
            respond(.retryLater(.serviceUnavailable,
                                "too many concurrent requests: \(config.maxConcurrentRequests) in flight (limits.max_concurrent_requests); retry later",
                                seconds: 1))
            return
        }
        let finish: (Response) -> Void = { [metrics, inFlight] response in
            inFlight.withLockedValue { $0 -= 1 }
            metrics.request(handler: handler, code: response.status.code)
            respond(response)
        }
        switch (path, head.method) {
        case ("/api/v1/write", .POST):
            write.handle(head: head, body: body, announcement: announcement, respond: finish)
        case ("/api/v1/write", _):  // POST is the case above
            finish(.methodNotAllowed("POST"))
        case ("/api/v1/read", let method) where method != .POST:
            finish(.methodNotAllowed("POST"))
        case ("/api/v1/read", _):
            read.handle(head: head, body: body, eventLoop: eventLoop, respond: finish)
        case ("/api/v1/alerts", .GET):
            finish(alerts.list())
        case ("/api/v1/export", .GET):
            export.handle(head: head, eventLoop: eventLoop, respond: finish)
        case ("/api/v1/export", _):
            finish(.methodNotAllowed("GET"))
        case ("/api/v1/labels", .GET), ("/api/v1/labels", .POST):
            labels.handle(head: head, body: body, eventLoop: eventLoop, respond: finish)
        case ("/api/v1/labels", _):
            finish(.methodNotAllowed("GET, POST"))
        case ("/report", .GET):
            report.handle(head: head, eventLoop: eventLoop, respond: finish)
        case ("/report", _):
            finish(.methodNotAllowed("GET"))
        case ("/metrics", .GET):
            var bytes: [UInt8] = []
            registry.emit(into: &bytes)
            finish(Response(status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"], body: bytes))
        case ("/-/healthy", .GET), ("/-/healthy", .HEAD):
            finish(.text(.ok, "Seismo is Healthy."))
        case ("/-/ready", .GET), ("/-/ready", .HEAD):
            if stopping.withLockedValue({ $0 }) {
                finish(.text(.serviceUnavailable, "Seismo is shutting down."))
            } else {
                finish(.text(.ok, "Seismo is Ready."))
            }
        case ("/metrics", _), ("/-/healthy", _), ("/-/ready", _):
            finish(.methodNotAllowed("GET"))
        default:
            finish(.text(.notFound, "not found: \(path) (endpoints: POST /api/v1/write, POST /api/v1/read, GET /api/v1/export, GET|POST /api/v1/labels, GET /report, GET /metrics, /-/healthy, /-/ready)"))
        }
    }
}
