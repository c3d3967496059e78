import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import SeismoExport
import SeismoStore

/// `POST /api/v1/labels`: a running workload marks intervals live. Body: one JSON object
/// or an array of them, fields `start`, `end` (RFC 3339 or Unix seconds), `anomaly_type`,
/// `details`, `state` (and optionally `anomaly`: true/false). The whole body is validated
/// first (400 naming the element and problem, nothing stored), then appended to
/// `DIR/labels/intervals.log` and fsynced before the 200. `GET` lists what is stored.
final class LabelsEndpoint: @unchecked Sendable {
    let log: IntervalLog
    let logger: Logger

    init(store: Store, logger: Logger) {
        log = IntervalLog(dataDirectory: store.config.dataDirectory)
        self.logger = logger
    }

    func handle(head: HTTPRequestHead, body: ByteBuffer, eventLoop: any EventLoop, respond: @escaping (Response) -> Void) {
        let json: [String: String] = ["Content-Type": "application/json"]
        if head.method == .GET {
            NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) { [log] () throws -> [UInt8] in
                let intervals = try StoredIntervals.read(log)
                return Array(("[" + intervals.map { String(decoding: StoredIntervals.encode($0), as: UTF8.self) }.joined(separator: ",") + "]\n").utf8)
            }.whenComplete { result in
                switch result {
                case .success(let bytes): respond(Response(status: .ok, headers: HTTPHeaders(json.map { ($0.key, $0.value) }), body: bytes))
                case .failure(let e): respond(.text(.internalServerError, "cannot read stored labels: \(e)"))
                }
            }
            return
        }
        let intervals: [LabelInterval]
        do {
            intervals = try LabelFileParser.parseRequestBody(Array(body.readableBytesView))
        } catch {
            respond(.text(.badRequest, "\(error)"))
            return
        }
        NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) { [log] in
            try log.append(intervals.map(StoredIntervals.encode))
        }.whenComplete { [logger] result in
            switch result {
            case .success:
                respond(Response(status: .ok, headers: HTTPHeaders(json.map { ($0.key, $0.value) }),
                                 body: Array("{\"stored\":\(intervals.count)}\n".utf8)))
            case .failure(let e):
                logger.error("storing labels failed", metadata: ["labels.error": "\(e)"])
                respond(.retryLater(.serviceUnavailable, "storing labels failed: \(e)", seconds: 5))
            }
        }
    }
}
