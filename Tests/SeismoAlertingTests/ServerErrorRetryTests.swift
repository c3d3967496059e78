import Foundation
import Testing
@testable import SeismoAlerting
#if canImport(Glibc)
import Glibc
#endif

/// 5xx handling. A real Alertmanager cannot be made to answer 5xx on demand, so this
/// one test uses a minimal stand-in HTTP server that answers 503 a set number of times
/// and then 200; everything else about Alertmanager is tested against the real one.
@Suite struct ServerErrorRetryTests {
    @Test func serverErrorsAreRetriedWithGrowingBackoffThenDelivered() throws {
        let server = try ScriptedHTTPServer(statuses: [503, 503, 503, 200])
        let n = AlertmanagerNotifier(urls: ["http://127.0.0.1:\(server.port)"], timeoutSeconds: 2, maxBackoffSeconds: 0.4,
                                     initialBackoffSeconds: 0.1, logger: LogCapture().logger)
        n.start()
        defer { n.stop(flushWithin: 0.5) }
        n.submit([Alert(labels: ["alertname": "Retry"], endsAt: Date().addingTimeInterval(60))])
        #expect(AlertmanagerProcess.eventually(within: 10) { n.stats()[0].sent == 1 })
        let s = n.stats()[0]
        #expect(s.attempts == 4 && s.failed == ["http_5xx": 3] && s.queued == 0)
        // Waits between attempts: 0.1, 0.2, then 0.4 (the cap) seconds.
        let gaps = zip(server.times.dropFirst(), server.times).map { $0.timeIntervalSince($1) }
        #expect(gaps.count == 3)
        for (gap, want) in zip(gaps, [0.1, 0.2, 0.4]) { #expect(gap >= want * 0.9 && gap < want + 1, "\(gaps)") }
        #expect(server.bodies.allSatisfy { $0.contains(#""alertname":"Retry""#) }, "the same batch each time")
    }
}

/// Answers each request with the next status of a script (the last repeats) and records
/// when each request arrived and its body.
final class ScriptedHTTPServer: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    private let lock = NSLock()
    private var _times: [Date] = []
    private var _bodies: [String] = []

    var times: [Date] { lock.withLock { _times } }
    var bodies: [String] { lock.withLock { _bodies } }

    init(statuses: [Int]) throws {
        let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(sock, $0, len) == 0 && listen(sock, 16) == 0 && getsockname(sock, $0, &len) == 0
            }
        }
        guard ok else { close(sock); throw AlertmanagerProcess.Failure("cannot listen") }
        fd = sock
        port = Int(UInt16(bigEndian: addr.sin_port))
        let listener = sock
        // Weak: the test's release of the server runs deinit, whose shutdown() makes
        // accept() fail and this thread end.
        Thread.detachNewThread { [weak self] in
            var i = 0
            while true {
                let c = accept(listener, nil, nil)
                if c < 0 { return }
                let body = Self.readRequest(c)
                guard let self else { close(c); return }
                self.lock.withLock { self._times.append(Date()); self._bodies.append(body) }
                let status = statuses[min(i, statuses.count - 1)]
                i += 1
                let reply = "HTTP/1.1 \(status) X\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy"
                _ = reply.withCString { send(c, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                close(c)
            }
        }
    }

    deinit {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    /// Reads headers and a Content-Length body, so closing does not reset the connection.
    private static func readRequest(_ c: Int32) -> String {
        var data = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(c, &buf, buf.count, 0)
            if n <= 0 { break }
            data.append(contentsOf: buf[0..<n])
            let text = String(decoding: data, as: UTF8.self)
            guard let end = text.range(of: "\r\n\r\n") else { continue }
            let head = text[..<end.lowerBound].lowercased()
            let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            let bodyStart = text.utf8.distance(from: text.utf8.startIndex, to: end.upperBound.samePosition(in: text.utf8)!)
            if data.count - bodyStart >= length {
                return String(decoding: data[bodyStart...], as: UTF8.self)
            }
        }
        return ""
    }
}
