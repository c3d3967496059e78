import Metrics
import NIOCore
import NIOSSL
import NIOTLS

/// Counts connections to the TLS port that never got as far as HTTP, by reason:
/// `plaintext` (plain HTTP or other non-TLS bytes), `handshake` (bad or missing client
/// certificate, no common protocol version or cipher, client distrusts our certificate),
/// `timeout` (no finished handshake in time).
enum TLSFailureMetrics {
    static func count(_ reason: String) {
        Counter(label: "seismo_tls_handshake_failures_total", dimensions: [("reason", reason)]).increment()
    }
}

/// Sits in front of the TLS handler and looks at the first byte of a connection. A TLS
/// client always opens with a handshake record (0x16); anything else is someone speaking
/// plain HTTP (or garbage) to the HTTPS port. Handing that to BoringSSL would only give
/// the client a cryptic reset, so a plain-HTTP client gets a readable 400 instead, and
/// the connection is closed either way.
final class PlaintextRefusal: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private static let tlsHandshakeRecord: UInt8 = 0x16
    private var refused = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if refused { return }
        let buffer = unwrapInboundIn(data)
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return }
        if first == Self.tlsHandshakeRecord {
            context.fireChannelRead(data)
            // Only the first byte matters; later reads go straight to the TLS handler.
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        refused = true
        TLSFailureMetrics.count("plaintext")
        // An HTTP request starts with a method name in capitals; only such a client can
        // read an answer, other bytes are not worth one.
        guard first >= UInt8(ascii: "A"), first <= UInt8(ascii: "Z") else {
            context.close(promise: nil)
            return
        }
        let body = "This port speaks HTTPS: Seismo has TLS on; use an https:// URL.\n"
        let response = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
        // Written from here, the bytes go to the socket directly and not through the TLS
        // handler behind this one.
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: response))).whenComplete { _ in
            context.close(promise: nil)
        }
    }
}

/// Sits behind the TLS handler until the handshake is done: closes connections that do
/// not finish it in time (a stalled or idle socket would otherwise hold a file
/// descriptor forever) and counts the handshakes that fail.
final class HandshakeWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    private func arm(context: ChannelHandlerContext) {
        guard timer == nil else { return }
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) {
            TLSFailureMetrics.count("timeout")
            bound.value.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls {
            timer?.cancel()
            timer = nil
            context.fireUserInboundEventTriggered(event)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Only a refused handshake counts: a client that connects and hangs up (a TCP
        // probe, a port scan) ends in an unclean-shutdown error, which is no failure.
        if let ssl = error as? NIOSSLError, case .handshakeFailed = ssl {
            TLSFailureMetrics.count("handshake")
        }
        context.fireErrorCaught(error)
    }
}
