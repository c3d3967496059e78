import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
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
    private var channel: (any Channel)?

    public init(config: ServerConfig, store: Store, registry: PrometheusCollectorRegistry, logger: Logger,
                watch: WatchPipeline? = nil) {
        self.config = config
        self.logger = logger
        router = Router(config: config, store: store, registry: registry, logger: logger, watch: watch)
        group = MultiThreadedEventLoopGroup(numberOfThreads: config.threads > 0 ? config.threads : System.coreCount)
    }

    /// Binds the listening socket (separately from `run`, so bind errors surface before
    /// the service group starts, and tests can learn the port).
    public func bind() async throws -> Int {
        let router = self.router
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
                    channel.pipeline.addHandler(HTTPHandler(router: router))
                }
            }
        let channel = try await bootstrap.bind(host: config.host, port: config.port).get()
        self.channel = channel
        let port = channel.localAddress?.port ?? config.port
        logger.info("listening", metadata: ["http.address": "\(config.host):\(port)"])
        return port
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
