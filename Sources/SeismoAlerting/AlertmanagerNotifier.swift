import Foundation
import Logging

/// Sends alerts to every configured Alertmanager (API v2), off the caller's thread.
///
/// Each Alertmanager gets every alert through its own sender (bounded queue, thread,
/// libcurl handle), so one that is down or slow is retried on its own while the others
/// keep receiving. Metrics (swift-metrics): `seismo_alerts_sent_total{alertmanager}`,
/// `seismo_alerts_failed_total{alertmanager,reason}`, `seismo_alerts_dropped_total{alertmanager}`,
/// `seismo_alerts_queue_length{alertmanager}`.
public final class AlertmanagerNotifier: @unchecked Sendable {
    private let senders: [AlertmanagerSender]
    private let logger: Logger

    /// Invalid URLs are logged and skipped (the CLI validates them first with
    /// `AlertmanagerEndpoint.init`, so in practice this only guards library callers).
    /// `initialBackoffSeconds` is the first retry wait; it doubles up to `maxBackoffSeconds`.
    public init(urls: [String], queueCapacity: Int = 10_000, timeoutSeconds: Double = 10,
                maxBackoffSeconds: Double = 30, initialBackoffSeconds: Double = 0.5, logger: Logger) {
        self.logger = logger
        var senders: [AlertmanagerSender] = []
        for url in urls {
            do {
                let endpoint = try AlertmanagerEndpoint(url)
                senders.append(AlertmanagerSender(
                    endpoint: endpoint, capacity: queueCapacity, timeoutSeconds: timeoutSeconds,
                    initialBackoff: initialBackoffSeconds, maxBackoff: maxBackoffSeconds, logger: logger))
            } catch {
                logger.error("ignoring Alertmanager URL", metadata: ["error": "\(error)"])
            }
        }
        self.senders = senders
    }

    public var endpoints: [AlertmanagerEndpoint] { senders.map(\.endpoint) }

    public func start() {
        for s in senders { s.start() }
    }

    /// Never blocks the caller on the network; drops the oldest queued alerts when a
    /// queue is full (counted in seismo_alerts_dropped_total).
    public func submit(_ alerts: [Alert]) {
        guard !alerts.isEmpty else { return }
        for s in senders { s.submit(alerts) }
    }

    /// Delivers what is queued for at most `seconds`, then stops the sender threads.
    public func stop(flushWithin seconds: Double) {
        let deadline = Date().addingTimeInterval(max(0, seconds))
        // Stop all senders concurrently so N Alertmanagers take one deadline, not N.
        DispatchQueue.concurrentPerform(iterations: senders.count) { i in
            if !senders[i].stop(deadline: deadline) {
                logger.warning("Alertmanager sender did not stop in time",
                               metadata: ["alertmanager": "\(senders[i].endpoint.displayName)"])
            }
        }
    }

    /// Per-Alertmanager counts (sent, failed by reason, dropped, queued).
    public func stats() -> [AlertmanagerSenderStats] {
        senders.map { $0.snapshot() }
    }
}
