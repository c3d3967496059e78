import Logging
import NIOCore
import NIOHTTP1

/// One per connection: collects a request (enforcing the body limit while reading),
/// hands it to the router, writes the answer. Runs on the channel's event loop; an
/// asynchronous answer (a write waiting for its fsync) is hopped back onto it.
final class HTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let router: Router
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var limit = 0
    /// Set when the request is refused before its body is read (too large).
    private var refusal: Response?
    /// A remote write announced to the store at its head (`Router.announceWrite`).
    private var announcement: AppendAnnouncement?

    init(router: Router) {
        self.router = router
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            refusal = nil
            limit = router.bodyLimit(for: h)
            let declared = h.headers.first(name: "content-length").flatMap { Int($0) }
            if let unauthorized = router.authorize(h) {
                refusal = unauthorized
                body = nil
                withdrawAnnouncement()
            } else if let declared, declared > limit {
                refusal = tooLarge(declared, limit)
                body = nil
                withdrawAnnouncement()
            } else {
                body = context.channel.allocator.buffer(capacity: min(declared ?? 0, limit))
                withdrawAnnouncement()
                announcement = router.announceWrite(h)
            }
        case .body(var chunk):
            guard refusal == nil, body != nil else { return }
            if body!.readableBytes + chunk.readableBytes > limit {
                refusal = tooLarge(body!.readableBytes + chunk.readableBytes, limit)
                body = nil
                withdrawAnnouncement()
                return
            }
            body!.writeBuffer(&chunk)
        case .end:
            guard let head else { return }
            self.head = nil
            let keepAlive = head.isKeepAlive
            if var refusal {
                withdrawAnnouncement()
                // The rest of the body was drained; the connection stays usable.
                refusal.close = !keepAlive
                write(context: context, version: head.version, response: refusal, keepAlive: keepAlive)
                return
            }
            let requestBody = body ?? context.channel.allocator.buffer(capacity: 0)
            body = nil
            let loop = context.eventLoop
            let announced = announcement
            announcement = nil
            router.handle(head: head, body: requestBody, eventLoop: loop, announcement: announced) { [self] response in
                if loop.inEventLoop {
                    write(context: context, version: head.version, response: response, keepAlive: keepAlive)
                } else {
                    loop.execute {
                        self.write(context: context, version: head.version, response: response, keepAlive: keepAlive)
                    }
                }
            }
        }
    }

    /// A connection closed (or a body refused) between a write's head and its end.
    private func withdrawAnnouncement() {
        announcement?.withdraw()
        announcement = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        withdrawAnnouncement()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        withdrawAnnouncement()
    }

    private func tooLarge(_ size: Int, _ limit: Int) -> Response {
        router.metrics.refused(limit: "body_size")
        return .text(.payloadTooLarge, "request body too large: \(size) bytes exceeds the limit of \(limit) bytes")
    }

    private func write(context: ChannelHandlerContext, version: HTTPVersion, response: Response, keepAlive: Bool) {
        if let stream = response.stream {
            writeStreaming(context: context, version: version, response: response, stream: stream, keepAlive: keepAlive)
            return
        }
        var headers = response.headers
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        let close = response.close || !keepAlive
        if close { headers.replaceOrAdd(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: response.status, headers: headers))), promise: nil)
        if !response.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if close { done.whenComplete { _ in context.close(promise: nil) } }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
