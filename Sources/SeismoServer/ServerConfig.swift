import SeismoWire

/// HTTP-side settings. Every field has a default; the CLI maps flags and YAML onto it.
public struct ServerConfig: Sendable {
    public var host = "127.0.0.1"
    public var port = 9201
    /// Remote-write body and snappy-decoded size limits (413 beyond them).
    public var wire = WireLimits()
    /// Remote-read request limits (Prometheus' own decoder allows 32 MiB decoded).
    public var readLimits = WireLimits(maxCompressedBytes: 32 << 20, maxDecodedBytes: 32 << 20)
    /// Remote-read answers holding more samples than this are refused (400, counted as
    /// `seismo_requests_refused_total{limit="read_samples"}`); Prometheus' own default is 5e7.
    public var maxReadSamples = 50_000_000
    /// Bodies of non-write endpoints are small; anything larger is refused early.
    public var maxOtherBodyBytes = 1 << 20
    /// Requests being handled at once beyond which new ones get 503 + Retry-After (the
    /// sender backs off) instead of queueing up memory.
    public var maxConcurrentRequests = 256
    /// Credentials per endpoint class (write, read, export, admin); open when absent.
    public var auth = AuthConfig()
    /// HTTPS instead of HTTP on the listener when set.
    public var tls: TLSSettings?
    /// Event-loop threads (0 = one per core).
    public var threads = 0
    /// How long a graceful stop waits for in-flight requests before sealing the store.
    public var drainSeconds: Int64 = 10

    public init() {}
}
