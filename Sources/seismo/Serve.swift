import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import SeismoParquet
import SeismoServer
import SeismoStore
import SeismoWire
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Receive Prometheus remote write into the per-second Parquet store.",
        discussion: """
        Every setting has a default; a YAML file (--config) can set any of them and flags \
        override the file. On SIGTERM or SIGINT the server stops accepting, finishes \
        in-flight writes and seals the head into Parquet, so a stopped data directory is a \
        complete dataset. SIGHUP re-reads the alert rules and the TLS certificate, key and \
        client CA; a file that does not load is logged and the running one kept.
        """
    )

    @Option(help: "YAML configuration file (keys: listen, data, log_level, storage.*, limits.*, auth.*, tls.*, detection.*, alerting.*).")
    var config: String?

    @Option(help: "Address to listen on, HOST:PORT. (default: 127.0.0.1:9201)")
    var listen: String?

    @Option(help: "Data directory. (default: ./data)")
    var data: String?

    @Option(name: .customLong("head-window"), help: "Out-of-order window behind the newest sample seen; older samples are refused. (default: 10m)")
    var headWindow: String?

    @Option(name: .customLong("segment-span"), help: "Length of a sealed Parquet segment, 1m to 7d. (default: 1h)")
    var segmentSpan: String?

    @Option(help: "Delete segments that ended longer ago than this; 0 keeps everything. (default: 0)")
    var retention: String?

    @Option(name: .customLong("columns-per-file"), help: "Maximum series columns per Parquet file of a segment. (default: 1000)")
    var columnsPerFile: Int?

    @Option(name: .customLong("wal-file-size"), help: "Write-ahead log file rotation size. (default: 64MiB)")
    var walFileSize: String?

    @Option(name: .customLong("max-pending-wal"), help: "Unsynced WAL bytes beyond which writes get 503 + Retry-After. (default: 256MiB)")
    var maxPendingWAL: String?

    @Option(name: .customLong("max-body-size"), help: "Largest compressed remote-write body; larger gets 413. (default: 32MiB)")
    var maxBodySize: String?

    @Option(name: .customLong("max-decoded-size"), help: "Largest snappy-declared decoded body, checked before allocating; larger gets 413. (default: 64MiB)")
    var maxDecodedSize: String?

    @Option(name: .customLong("max-future"), help: "Refuse samples further ahead of the wall clock than this. (default: 10m)")
    var maxFuture: String?

    @Option(name: .customLong("max-series"), help: "Cardinality cap: samples of new series beyond this many are refused (400); existing series keep flowing. Each active series costs ~1–2 KiB of memory (paged head, detection state). (default: 250000)")
    var maxSeries: Int?

    @Option(name: .customLong("max-concurrent-requests"), help: "Requests handled at once; beyond → 503 + Retry-After. (default: 256)")
    var maxConcurrentRequests: Int?

    @Option(name: .customLong("tls-cert-file"), help: "Serve HTTPS with this PEM certificate chain (leaf first); re-read on SIGHUP. Needs --tls-key-file.")
    var tlsCertFile: String?

    @Option(name: .customLong("tls-key-file"), help: "PEM private key of the TLS certificate; re-read on SIGHUP.")
    var tlsKeyFile: String?

    @Option(name: .customLong("tls-client-ca-file"), help: "PEM CA bundle that client certificates must chain to; re-read on SIGHUP.")
    var tlsClientCAFile: String?

    @Option(name: .customLong("tls-client-auth"), help: "Client certificates: none, optional (verified if shown) or require. (default: require with --tls-client-ca-file, else none)")
    var tlsClientAuth: String?

    @Option(help: "Alert rules YAML (reloaded on SIGHUP; check with `seismo check rules`). Without it a built-in rule watches every series.")
    var rules: String?

    @Option(name: .customLong("alertmanager.url"), help: "Alertmanager to send alerts to (API v2), e.g. http://127.0.0.1:9093. Repeatable.")
    var alertmanagerURLs: [String] = []

    @Option(name: .customLong("external-url"), help: "URL under which Seismo is reached, for alerts' generatorURL. (default: http://LISTEN)")
    var externalURL: String?

    @Flag(name: .customLong("no-detection"), help: "Do not run inline anomaly detection (no scores, no alerts).")
    var noDetection = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical. (default: info)")
    var logLevel: String?

    func run() async throws {
        HeapTuning.configure()
        let file = try config.map(FileConfig.load(path:))
        let (store, server, level) = try resolve(file: file)

        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "seismo")
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["seismo_wal_fsync_duration_seconds"] =
            [.microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
             .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1)]
        MetricsSystem.bootstrap(factory)

        // One SIGHUP handler for every reload (rules, TLS files), so they never race.
        // TLS files load before the store opens: a bad certificate fails at once, not
        // after a long WAL replay.
        let hangup = HangupSignal()
        let tls = try startTLS(server.tls, hangup: hangup, logger: logger)
        let theStore: Store
        do {
            theStore = try Store(config: store, logger: logger)
        } catch {
            throw ValidationError("cannot open data directory \(store.dataDirectory): \(error)")
        }
        let detection = try resolveDetection(file: file, server: server)
        let watch = try detection.map { try DetectionSetup.start(detection: $0, store: theStore, logger: logger, hangup: hangup) }
        let http = HTTPServer(config: server, store: theStore, registry: registry, logger: logger, watch: watch?.pipeline, tls: tls)
        HeapTuning.startTrimmer()
        let port = try await http.bind()
        print(banner(server: server, port: port, dataDirectory: store.dataDirectory))
        fflush(stdout)
        // Services stop in reverse order: HTTP first (drains in-flight writes), then the
        // store (seals the head).
        var services: [any Service] = [StoreService(store: theStore)]
        if let watch { services.append(watch) }
        services.append(http)
        let group = ServiceGroup(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        try await group.run()
    }

    /// Defaults ← config file ← flags.
    func resolve(file: FileConfig?) throws -> (StoreConfig, ServerConfig, Logger.Level) {
        var server = ServerConfig()
        let listenText = listen ?? file?.listen ?? "127.0.0.1:9201"
        guard let colon = listenText.lastIndex(of: ":"), let port = Int(listenText[listenText.index(after: colon)...]),
              port >= 0, port < 65536
        else { throw ValidationError("--listen must be HOST:PORT, got \(listenText)") }
        server.host = String(listenText[..<colon]).trimmingCharacters(in: "[").trimmingCharacters(in: "]")
        if server.host.isEmpty { server.host = "0.0.0.0" }
        server.port = port

        var store = StoreConfig(dataDirectory: data ?? file?.data ?? "./data")
        func duration(_ flag: String?, _ fileValue: String?, _ name: String) throws -> Int64? {
            guard let text = flag ?? fileValue else { return nil }
            guard let s = Durations.seconds(text) else { throw ValidationError("\(name): cannot parse duration \"\(text)\" (use e.g. 90s, 10m, 1h)") }
            return s
        }
        func size(_ flag: String?, _ fileValue: String?, _ name: String) throws -> Int? {
            guard let text = flag ?? fileValue else { return nil }
            guard let b = ByteSizes.bytes(text), b > 0 else { throw ValidationError("\(name): cannot parse size \"\(text)\" (use e.g. 33554432 or 32MiB)") }
            return b
        }
        if let v = try duration(headWindow, file?.storage?.head_window, "head-window") { store.headWindowSeconds = v }
        if let v = try duration(segmentSpan, file?.storage?.segment_span, "segment-span") { store.segmentSpanSeconds = v }
        if let v = try duration(retention, file?.storage?.retention, "retention") { store.retentionSeconds = v }
        if let v = columnsPerFile ?? file?.storage?.columns_per_file { store.columnsPerFile = v }
        switch file?.storage?.value_encoding {
        case nil: break
        case "byte_stream_split": store.segmentDoubleEncoding = .byteStreamSplit
        case "plain": store.segmentDoubleEncoding = .plain
        case let other?: throw ValidationError("storage.value_encoding: \"\(other)\" is not byte_stream_split or plain")
        }
        if let v = file?.storage?.integer_columns { store.segmentIntegerColumns = v }
        if let v = file?.storage?.footer_labels { store.segmentFooterLabels = v }
        if let v = try size(walFileSize, file?.storage?.wal_file_size, "wal-file-size") { store.walFileBytes = v }
        if let v = try size(maxPendingWAL, file?.storage?.max_pending_wal, "max-pending-wal") { store.maxPendingWALBytes = v }
        if let v = try duration(maxFuture, file?.limits?.max_future, "max-future") { store.maxFutureMilliseconds = v * 1000 }
        if let v = try size(maxBodySize, file?.limits?.max_body_size, "max-body-size") { server.wire.maxCompressedBytes = v }
        if let v = try size(maxDecodedSize, file?.limits?.max_decoded_size, "max-decoded-size") { server.wire.maxDecodedBytes = v }
        func positive(_ flag: Int?, _ fileValue: Int?, _ name: String) throws -> Int? {
            guard let v = flag ?? fileValue else { return nil }
            guard v > 0 else { throw ValidationError("\(name) must be positive, got \(v)") }
            return v
        }
        if let v = try positive(maxSeries, file?.limits?.max_series, "max-series") { store.maxSeries = v }
        if let v = try positive(maxConcurrentRequests, file?.limits?.max_concurrent_requests, "max-concurrent-requests") {
            server.maxConcurrentRequests = v
        }
        if let v = try positive(nil, file?.limits?.max_read_samples, "limits.max_read_samples") {
            server.maxReadSamples = v
        }
        if let v = try positive(nil, file?.limits?.max_series_per_request, "limits.max_series_per_request") {
            server.wire.maxSeriesPerRequest = v
        }
        if let v = try positive(nil, file?.limits?.max_labels_per_series, "limits.max_labels_per_series") {
            server.wire.maxLabelsPerSeries = v
        }
        if let v = try positive(nil, file?.limits?.max_label_name_length, "limits.max_label_name_length") {
            server.wire.maxLabelNameBytes = v
        }
        if let v = try positive(nil, file?.limits?.max_label_value_length, "limits.max_label_value_length") {
            server.wire.maxLabelValueBytes = v
        }
        server.auth = try resolveAuth(file?.auth)
        server.tls = try resolveTLS(file?.tls)
        do {
            try store.validate()
        } catch {
            throw ValidationError("\(error)")
        }
        let levelText = logLevel ?? file?.log_level ?? "info"
        guard let level = Logger.Level(rawValue: levelText) else {
            throw ValidationError("log-level: unknown level \"\(levelText)\"")
        }
        return (store, server, level)
    }

    /// Loads the credential files named by the config's `auth` section.
    func resolveAuth(_ auth: FileConfig.Auth?) throws -> AuthConfig {
        var config = AuthConfig()
        let classes: [(EndpointClass, FileConfig.Credentials?)] =
            [(.write, auth?.write), (.read, auth?.read), (.export, auth?.export), (.admin, auth?.admin)]
        for (cls, credentials) in classes {
            guard let credentials else { continue }
            do {
                var rule = AccessRule()
                if let path = credentials.bearer_token_file {
                    rule.bearerToken = Array(try AccessRule.readSecret(path: path).utf8)
                }
                if let basic = credentials.basic_auth {
                    rule.basicUser = Array(basic.username.utf8)
                    rule.basicPassword = Array(try AccessRule.readSecret(path: basic.password_file).utf8)
                }
                guard !rule.isOpen else {
                    throw AuthConfigError("give bearer_token_file or basic_auth")
                }
                config.rules[cls] = rule
            } catch {
                throw ValidationError("auth.\(cls.rawValue): \(error)")
            }
        }
        return config
    }
}
