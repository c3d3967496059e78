import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Prometheus
import ServiceLifecycle
import SeismoStore
import SeismoWatch

/// The HTTP listener as a lifecycle service. On graceful shutdown it stops accepting,
/// reports not-ready, and waits (bounded) for in-flight requests — writes waiting for
/// their fsync among them — before returning, so the store closes after them.
public final class HTTPServer: Service, @unchecked Sendable {
    let config: ServerConfig
    let router: Router
    let logger: Logger
    let group: MultiThreadedEventLoopGroup
    /// Present when the listener speaks HTTPS; its context may be swapped by a reload.
    let tls: TLSContextHolder?
    private var channel: (any Channel)?

    public init(config: ServerConfig, store: Store, registry: PrometheusCollectorRegistry, logger: Logger,
                watch: WatchPipeline? = nil, tls: TLSContextHolder? = nil) {
        self.config = config
        self.logger = logger
        self.tls = tls
        router = Router(config: config, store: store, registry: registry, logger: logger, watch: watch)
        group = MultiThreadedEventLoopGroup(numberOfThreads: config.threads > 0 ? config.threads : System.coreCount)
    }

    /// Binds the listening socket (separately from `run`, so bind errors surface before
    /// the service group starts, and tests can learn the port).
    public func bind() async throws -> Int {
        let router = self.router
        let tls = self.tls
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                if let tls {
                    do {
                        try Self.addTLSHandlers(channel: channel, tls: tls)
                    } catch {
                        return channel.eventLoop.makeFailedFuture(error)
                    }
                }
                return channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
                    channel.pipeline.addHandler(HTTPHandler(router: router))
                }
            }
        let channel = try await bootstrap.bind(host: config.host, port: config.port).get()
        self.channel = channel
        let port = channel.localAddress?.port ?? config.port
        logger.info("listening", metadata: ["http.address": "\(config.host):\(port)", "http.scheme": "\(tls == nil ? "http" : "https")"])
        return port
    }

    /// TLS in front of HTTP/1.1 on the same port. The context is read per connection, so
    /// a reload applies to connections accepted after it.
    private static func addTLSHandlers(channel: any Channel, tls: TLSContextHolder) throws {
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(PlaintextRefusal())
        try pipeline.addHandler(NIOSSLServerHandler(context: tls.context))
        try pipeline.addHandler(HandshakeWatch(timeout: .seconds(tls.settings.handshakeTimeoutSeconds)))
    }

    public func run() async throws {
        if channel == nil { _ = try await bind() }
        try? await gracefulShutdown()
        router.beginStopping()
        logger.info("stopping: no new connections, draining in-flight requests")
        try? await channel?.close()
        let deadline = ContinuousClock.now + .seconds(config.drainSeconds)
        while router.requestsInFlight > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        try? await group.shutdownGracefully()
    }
}

/// The store as a lifecycle service: its background threads run until graceful
/// shutdown, then `close()` seals the head into Parquet.
public struct StoreService: Service {
    let store: Store

    public init(store: Store) {
        self.store = store
    }

    public func run() async throws {
        store.start()
        try? await gracefulShutdown()
        store.close()
    }
}
