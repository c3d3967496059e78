import Foundation
import Testing
@testable import SeismoAlerting
#if canImport(Glibc)
import Glibc
#endif

/// What alerting costs the ingest path: observe() per group and second, and submit()
/// while Alertmanager hangs. Bounds are loose (debug build, 2 noisy cores); the printed
/// figures are the measurement.
@Suite struct CostTests {
    @Test func observeOfQuietGroupsIsCheap() {
        let e = AlertEvaluator(rules: RuleSet.builtInDefault, generatorURL: "http://seismo:9201")
        let groups = (0..<1000).map { [(name: "instance", value: "host\($0):9100")] }
        let top = [(name: "__name__", value: "node_load1"), (name: "instance", value: "h")]
        let now = Date()
        let start = DispatchTime.now()
        var n = 0
        for second in Int64(0)..<100 {
            for g in groups {
                n += e.observe(rule: 0, group: g, second: second, score: 0.3, topSeries: top, value: 1, now: now).count
            }
        }
        let ns = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 100_000
        print("observe, quiet group: \(Int(ns)) ns per call (100k calls)")
        #expect(n == 0)
        #expect(ns < 50_000)
    }

    @Test func observeOfFiringGroupsIsCheap() {
        let e = AlertEvaluator(rules: RuleSet.builtInDefault, generatorURL: "http://seismo:9201")
        let groups = (0..<1000).map { [(name: "instance", value: "host\($0):9100")] }
        let top = [(name: "__name__", value: "node_load1"), (name: "instance", value: "h"), (name: "job", value: "node")]
        let now = Date()
        let start = DispatchTime.now()
        var fired = 0
        for second in Int64(0)..<40 {
            for g in groups {
                fired += e.observe(rule: 0, group: g, second: second, score: 0.999, topSeries: top, value: 1, now: now).count
            }
        }
        let ns = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 40_000
        print("observe, anomalous group (pending/firing): \(Int(ns)) ns per call (40k calls)")
        #expect(fired == 1000, "each group fires once, after for: 30s")
        #expect(ns < 500_000)
    }

    /// An Alertmanager that accepts the connection and never answers (the kernel
    /// completes the handshake from the listen backlog): the sender sits in a request
    /// until its timeout, and submit() must still return at once.
    @Test func submitDoesNotWaitForAHangingAlertmanager() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        try #require(ok)
        let port = Int(UInt16(bigEndian: addr.sin_port))
        let n = AlertmanagerNotifier(urls: ["http://127.0.0.1:\(port)"], queueCapacity: 10_000, timeoutSeconds: 3,
                                     maxBackoffSeconds: 1, initialBackoffSeconds: 0.2, logger: LogCapture().logger)
        n.start()
        n.submit([Alert(labels: ["alertname": "first"])])
        Thread.sleep(forTimeInterval: 0.3)   // the sender is now inside the hanging POST
        let alerts = (0..<20_000).map { Alert(labels: ["alertname": "A\($0)"], annotations: ["summary": "x"]) }
        let start = DispatchTime.now()
        for chunk in stride(from: 0, to: alerts.count, by: 100) { n.submit(Array(alerts[chunk..<chunk + 100])) }
        let ms = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
        print("submit of 20000 alerts (200 calls) while the POST hangs: \(String(format: "%.1f", ms)) ms")
        let s = n.stats()[0]
        #expect(s.queued == 10_000 && s.dropped == 10_000, "bounded: the oldest 10000 were dropped")
        #expect(ms < 2_000)
        let stopStart = Date()
        n.stop(flushWithin: 0.5)
        #expect(Date().timeIntervalSince(stopStart) < 3)
    }
}
