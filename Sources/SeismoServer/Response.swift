import NIOCore
import NIOHTTP1

/// A complete HTTP response. Error bodies are plain text whose first line names the
/// problem (Prometheus keeps only the first 1024 bytes of them in its log).
struct Response {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders = HTTPHeaders()
    var body: [UInt8] = []
    /// Close the connection after answering (e.g. a body we refused to read).
    var close = false
    /// When set, `body` is ignored and this produces the body off the event loop, sent with
    /// chunked transfer encoding (exports far larger than memory).
    var stream: StreamingBody?

    init(status: HTTPResponseStatus, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], close: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.close = close
    }

    static func text(_ status: HTTPResponseStatus, _ text: String, headers: HTTPHeaders = HTTPHeaders()) -> Response {
        var h = headers
        h.replaceOrAdd(name: "Content-Type", value: "text/plain; charset=utf-8")
        return Response(status: status, headers: h, body: Array((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    static let noContent = Response(status: .noContent)

    static func methodNotAllowed(_ allowed: String) -> Response {
        text(.methodNotAllowed, "method not allowed: use \(allowed)", headers: ["Allow": allowed])
    }

    static func retryLater(_ status: HTTPResponseStatus, _ text: String, seconds: Int) -> Response {
        Self.text(status, text, headers: ["Retry-After": String(seconds)])
    }
}
