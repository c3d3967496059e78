import CoreMetrics
import Foundation
import SeismoModel
import Logging

/// Counts one sender has accumulated; the same numbers go to swift-metrics, this copy is
/// for tests and status pages that cannot read a metrics backend.
public struct AlertmanagerSenderStats: Sendable, Equatable {
    public var alertmanager: String
    public var sent = 0
    /// Alerts per failed attempt, by reason: `network`, `http_5xx` (both retried),
    /// `http_4xx` / `http_3xx` (final).
    public var failed: [String: Int] = [:]
    public var dropped = 0
    public var queued = 0
    public var attempts = 0
}

/// Delivers alerts to one Alertmanager from its own thread, so a slow or dead
/// Alertmanager delays neither the ingest path nor the other Alertmanagers.
///
/// Retry policy: network errors and 5xx put the batch back at the queue front and wait a
/// backoff that doubles from `initialBackoff` up to `maxBackoff` (reset by any answer);
/// any other non-2xx answer is final: logged with Alertmanager's reason, counted, dropped.
final class AlertmanagerSender: @unchecked Sendable {
    static let batchSize = 64

    let endpoint: AlertmanagerEndpoint
    private let timeoutSeconds: Double
    private let initialBackoff: Double
    private let maxBackoff: Double
    private let logger: Logger

    /// Guards everything below it; also the wake-up signal for the thread.
    private let cond = NSCondition()
    private var queue: AlertQueue
    private var stats: AlertmanagerSenderStats
    private var stopping = false
    private var deadline = Date.distantFuture
    private var started = false
    private let finished = DispatchSemaphore(value: 0)
    /// The thread signals `finished` once; a second stop() must not wait for it again.
    private let joinLock = NSLock()
    private var joined = false

    private let sentCounter: Counter
    private let droppedCounter: Counter
    private let queueGauge: Gauge
    private let failedFactory: (String) -> Counter
    private var failedCounters: [String: Counter] = [:]

    init(endpoint: AlertmanagerEndpoint, capacity: Int, timeoutSeconds: Double, initialBackoff: Double,
         maxBackoff: Double, logger: Logger) {
        self.endpoint = endpoint
        self.timeoutSeconds = timeoutSeconds
        self.initialBackoff = min(initialBackoff, maxBackoff)
        self.maxBackoff = maxBackoff
        var logger = logger
        logger[metadataKey: "alertmanager"] = "\(endpoint.displayName)"
        self.logger = logger
        queue = AlertQueue(capacity: capacity)
        stats = AlertmanagerSenderStats(alertmanager: endpoint.displayName)
        let am = endpoint.displayName
        sentCounter = Counter(label: "seismo_alerts_sent_total", dimensions: [("alertmanager", am)])
        droppedCounter = Counter(label: "seismo_alerts_dropped_total", dimensions: [("alertmanager", am)])
        queueGauge = Gauge(label: "seismo_alerts_queue_length", dimensions: [("alertmanager", am)])
        failedFactory = { Counter(label: "seismo_alerts_failed_total", dimensions: [("alertmanager", am), ("reason", $0)]) }
        // The retried reasons exist from the start (at 0), so dashboards and rate()
        // see the series before the first failure, not only after it.
        for reason in ["network", "http_5xx"] { failedCounters[reason] = failedFactory(reason) }
    }

    func start() {
        cond.lock()
        defer { cond.unlock() }
        guard !started else { return }
        started = true
        let thread = Thread { [self] in
            nameCurrentThread("seismo-alertmgr")
            run()
            finished.signal()
        }
        thread.name = "seismo-alertmanager"
        thread.start()
    }

    /// O(alerts) under a short lock; never waits for the network.
    func submit(_ alerts: [Alert]) {
        cond.lock()
        var dropped = 0
        if stopping {
            dropped = alerts.count
        } else {
            for a in alerts { dropped += queue.push(a) }
        }
        noteDropped(dropped)
        stats.queued = queue.count
        queueGauge.record(queue.count)
        cond.signal()
        cond.unlock()
        if dropped > 0 {
            logger.warning("alert queue full, dropped oldest alerts", metadata: ["dropped": "\(dropped)"])
        }
    }

    /// Asks the thread to deliver what is queued until `deadline`, then waits for it.
    /// Returns whether it finished in time.
    func stop(deadline: Date) -> Bool {
        cond.lock()
        let wasStarted = started
        stopping = true
        self.deadline = deadline
        cond.broadcast()
        cond.unlock()
        guard wasStarted else { return true }
        joinLock.lock()
        defer { joinLock.unlock() }
        if joined { return true }
        // A request in flight is bounded by the deadline too (see post timeout), so the
        // grace second only covers thread scheduling.
        joined = finished.wait(timeout: .now() + max(0, deadline.timeIntervalSinceNow) + 1) == .success
        return joined
    }

    func snapshot() -> AlertmanagerSenderStats {
        cond.lock()
        defer { cond.unlock() }
        return stats
    }

    // MARK: the sender thread

    private func run() {
        guard let poster = CurlPoster(url: endpoint.postURL) else {
            logger.error("cannot initialise libcurl; alerts for this Alertmanager are not sent")
            return
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var backoff = initialBackoff
        while true {
            cond.lock()
            while queue.isEmpty && !stopping { cond.wait() }
            if queue.isEmpty || (stopping && Date() >= deadline) {
                if !queue.isEmpty {
                    logger.warning("stopping with undelivered alerts", metadata: ["queued": "\(queue.count)"])
                }
                cond.unlock()
                return
            }
            let batch = queue.pop(max: Self.batchSize)
            stats.queued = queue.count
            stats.attempts += 1
            queueGauge.record(queue.count)
            let timeout = stopping ? min(timeoutSeconds, max(0.05, deadline.timeIntervalSinceNow)) : timeoutSeconds
            cond.unlock()

            let body = (try? encoder.encode(batch)).map { [UInt8]($0) } ?? []
            let outcome = poster.post(body, timeoutSeconds: timeout)
            switch Self.classify(outcome) {
            case .delivered:
                record(sent: batch.count)
                backoff = initialBackoff
            case .rejected(let reason, let detail):
                record(failed: batch.count, reason: reason)
                logger.error("Alertmanager rejected alerts; not retrying", metadata: [
                    "reason": "\(detail)", "alerts": "\(batch.count)",
                    "alertnames": "\(Set(batch.compactMap { $0.labels["alertname"] }).sorted().joined(separator: ","))",
                ])
                backoff = initialBackoff
            case .retry(let reason, let detail):
                record(failed: batch.count, reason: reason)
                logger.warning("sending alerts failed; will retry", metadata: [
                    "reason": "\(detail)", "alerts": "\(batch.count)", "retry_in_s": "\(backoff)",
                ])
                requeueAndWait(batch, backoff: backoff)
                backoff = min(backoff * 2, maxBackoff)
            }
        }
    }

    enum Verdict: Equatable {
        case delivered
        case rejected(reason: String, detail: String)
        case retry(reason: String, detail: String)
    }

    static func classify(_ outcome: CurlPoster.Outcome) -> Verdict {
        switch outcome {
        case .network(let detail):
            return .retry(reason: "network", detail: detail)
        case .status(let code, let body):
            let detail = body.isEmpty ? "HTTP \(code)" : "HTTP \(code): \(body)"
            switch code {
            case 200..<300: return .delivered
            case 500..<600: return .retry(reason: "http_5xx", detail: detail)
            default: return .rejected(reason: "http_\(code / 100)xx", detail: detail)
            }
        }
    }

    private func requeueAndWait(_ batch: [Alert], backoff: Double) {
        cond.lock()
        let dropped = queue.requeueFront(batch)
        noteDropped(dropped)
        stats.queued = queue.count
        queueGauge.record(queue.count)
        // Sleep the backoff, but wake at once for stop() so shutdown is not held up; a new
        // submit does not cut the wait short (Alertmanager is still presumed down).
        let until = Date().addingTimeInterval(backoff)
        while true {
            let wake = stopping ? min(until, deadline) : until
            if Date() >= wake { break }
            _ = cond.wait(until: wake)
        }
        cond.unlock()
    }

    private func record(sent n: Int) {
        cond.lock()
        stats.sent += n
        cond.unlock()
        sentCounter.increment(by: n)
    }

    private func record(failed n: Int, reason: String) {
        cond.lock()
        stats.failed[reason, default: 0] += n
        let counter = failedCounters[reason] ?? failedFactory(reason)
        failedCounters[reason] = counter
        cond.unlock()
        counter.increment(by: n)
    }

    /// Caller holds the lock.
    private func noteDropped(_ n: Int) {
        guard n > 0 else { return }
        stats.dropped += n
        droppedCounter.increment(by: n)
    }
}
