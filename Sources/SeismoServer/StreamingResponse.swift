import NIOCore
import NIOHTTP1
import NIOPosix

/// A response body produced piece by piece on the shared thread pool. `produce` calls
/// `write` with each piece; `write` returns once NIO has flushed the piece, so a slow
/// client slows the producer down instead of letting the body pile up in memory.
struct StreamingBody {
    let produce: (_ write: @escaping (UnsafeRawBufferPointer) throws -> Void) throws -> Void
}

struct ClientGone: Error, CustomStringConvertible {
    var description: String { "client connection closed during a streamed response" }
}

extension HTTPHandler {
    /// Head now (no Content-Length: NIO's encoder then uses chunked encoding for
    /// HTTP/1.1), body pieces as produced, then the end. An error after the head cannot
    /// change the status any more, so the connection is closed without the final chunk:
    /// the client sees a truncated body, never a short table that looks complete.
    func writeStreaming(context: ChannelHandlerContext, version: HTTPVersion, response: Response,
                        stream: StreamingBody, keepAlive: Bool) {
        var headers = response.headers
        headers.remove(name: "Content-Length")
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: response.status, headers: headers))), promise: nil)
        let loop = context.eventLoop
        let channel = context.channel
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        NIOThreadPool.singleton.runIfActive(eventLoop: loop) { () throws -> Void in
            // Up to `window` pieces (≈1 MiB each) may be in flight, so encoding the next
            // piece overlaps sending the previous ones; beyond that the producer waits.
            let window = 4
            var inFlight: [EventLoopFuture<Void>] = []
            try stream.produce { bytes in
                guard channel.isActive else { throw ClientGone() }
                let buffer = channel.allocator.buffer(bytes: bytes)
                inFlight.append(loop.flatSubmit { () -> EventLoopFuture<Void> in
                    let (handler, context) = bound.value
                    return context.writeAndFlush(handler.wrapOutboundOut(.body(.byteBuffer(buffer))))
                })
                if inFlight.count >= window { try inFlight.removeFirst().wait() }
            }
            for f in inFlight { try f.wait() }
        }.whenComplete { result in
            let (handler, context) = bound.value
            switch result {
            case .success:
                let done = context.writeAndFlush(handler.wrapOutboundOut(.end(nil)))
                if !keepAlive { done.whenComplete { _ in context.close(promise: nil) } }
            case .failure:
                context.close(promise: nil)
            }
        }
    }
}
