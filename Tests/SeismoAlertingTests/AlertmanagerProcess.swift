import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A real Alertmanager 0.25 (Debian's prometheus-alertmanager) on 127.0.0.1 for one
/// test: its own port, storage directory and minimal config, clustering off, killed by
/// PID. Tests talk to it over its API v2 exactly as an operator's Alertmanager would.
final class AlertmanagerProcess {
    static let binary = "/usr/bin/prometheus-alertmanager"
    let port: Int
    let directory: URL
    private var process: Process?

    var url: String { "http://127.0.0.1:\(port)" }

    /// Creates the config and storage but does not start it (outage tests start it later).
    init(port: Int? = nil) throws {
        self.port = try port ?? Self.freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("seismo-am-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("data"), withIntermediateDirectories: true)
        // One receiver with no integrations: alerts are accepted and listed, nothing is sent.
        let config = """
        route:
          receiver: blackhole
        receivers:
          - name: blackhole
        """
        try config.write(to: directory.appendingPathComponent("am.yml"), atomically: true, encoding: .utf8)
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Starts the process and waits (bounded) until /-/ready answers 200.
    func start(readyWithin seconds: Double = 15) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = [
            "--config.file=\(directory.appendingPathComponent("am.yml").path)",
            "--storage.path=\(directory.appendingPathComponent("data").path)",
            "--web.listen-address=127.0.0.1:\(port)",
            "--cluster.listen-address=",
            "--log.level=warn",
        ]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        process = p
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let (status, _) = try? Self.get("\(url)/-/ready", timeout: 1), status == 200 { return }
            guard p.isRunning else { throw Failure("alertmanager exited with status \(p.terminationStatus)") }
            Thread.sleep(forTimeInterval: 0.1)
        }
        stop()
        throw Failure("alertmanager on port \(port) not ready within \(seconds) s")
    }

    /// SIGTERM by PID, then SIGKILL if it lingers; bounded.
    func stop() {
        guard let p = process else { return }
        process = nil
        guard p.isRunning else { return }
        kill(p.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
    }

    /// `GET /api/v2/alerts` (active, silenced and inhibited alerts), as JSON objects.
    func alerts() throws -> [[String: Any]] {
        let (status, body) = try Self.get("\(url)/api/v2/alerts", timeout: 5)
        guard status == 200, let list = try JSONSerialization.jsonObject(with: body) as? [[String: Any]] else {
            throw Failure("GET /api/v2/alerts: HTTP \(status)")
        }
        return list
    }

    /// alertname values of the alerts Alertmanager currently holds as active.
    func activeAlertNames() throws -> Set<String> {
        Set(try alerts().compactMap { a in
            guard (a["status"] as? [String: Any])?["state"] as? String == "active" else { return nil }
            return (a["labels"] as? [String: String])?["alertname"]
        })
    }

    /// Polls `condition` every 100 ms until it holds or `seconds` pass.
    static func eventually(within seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.1)
        } while Date() < deadline
        return try condition()
    }

    static func get(_ url: String, timeout: Double) throws -> (Int, Data) {
        var request = URLRequest(url: URL(string: url)!)
        request.timeoutInterval = timeout
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: Result<(Int, Data), Error> = .failure(Failure("timeout"))
        let task = URLSession.shared.dataTask(with: request) { data, response, error in
            if let error { result = .failure(error) } else {
                result = .success(((response as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data()))
            }
            done.signal()
        }
        task.resume()
        if done.wait(timeout: .now() + timeout + 1) == .timedOut { task.cancel(); throw Failure("GET \(url) timed out") }
        return try result.get()
    }

    /// Binds port 0 to let the kernel pick a free port, then releases it.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket() failed") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw Failure("bind() failed") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }
}
