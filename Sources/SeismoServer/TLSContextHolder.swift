import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOSSL

/// The server's current TLS context, built from the files named in `TLSSettings`.
///
/// Each new connection takes whatever context is current when it is accepted, so a
/// reload (SIGHUP after a certificate rotation) affects only connections made after
/// it; open connections keep the context they shook hands with. A reload that fails —
/// a half-written file, a key that does not match the certificate — leaves the
/// previous context in place: a botched rotation must not take the listener down.
public final class TLSContextHolder: Sendable {
    /// What a successful load produced; the context and the facts worth logging.
    struct Loaded: Sendable {
        let context: NIOSSLContext
        /// Hex serial of the leaf certificate, to tell in the log which one is served.
        let serial: String
        /// notAfter of the leaf certificate, seconds since the epoch.
        let notAfter: Int
    }

    public let settings: TLSSettings
    private let logger: Logger
    private let current: NIOLockedValueBox<Loaded>
    private let reloads = Counter(label: "seismo_tls_reloads_total")
    private let reloadFailures = Counter(label: "seismo_tls_reload_failures_total")
    private let expiry = Gauge(label: "seismo_tls_certificate_expiry_timestamp_seconds")

    /// Loads the files once; an error here is a startup error (the server must not come
    /// up without the TLS it was told to use).
    public init(settings: TLSSettings, logger: Logger) throws {
        try settings.validate()
        self.settings = settings
        self.logger = logger
        let loaded = try Self.load(settings)
        current = NIOLockedValueBox(loaded)
        expiry.record(loaded.notAfter)
        logger.info("TLS on", metadata: [
            "tls.cert_file": "\(settings.certFile)", "tls.serial": "\(loaded.serial)",
            "tls.not_after": "\(Self.timestamp(loaded.notAfter))", "tls.client_auth": "\(settings.clientAuth.rawValue)",
        ])
        warnIfExpired(loaded)
    }

    /// The context for a connection being accepted now.
    public var context: NIOSSLContext { current.withLockedValue { $0.context } }

    /// Hex serial of the certificate new connections are served.
    public var serial: String { current.withLockedValue { $0.serial } }

    /// Re-reads certificate, key and client CA; swaps them in only if all load and fit
    /// together. Returns whether the new files are now in use.
    @discardableResult
    public func reload() -> Bool {
        let loaded: Loaded
        do {
            loaded = try Self.load(settings)
        } catch {
            reloadFailures.increment()
            logger.error("TLS reload failed; new connections keep the previous certificate", metadata: [
                "tls.cert_file": "\(settings.certFile)", "tls.serial": "\(serial)", "error": "\(error)",
            ])
            return false
        }
        let previous = current.withLockedValue { old -> String in
            defer { old = loaded }
            return old.serial
        }
        expiry.record(loaded.notAfter)
        reloads.increment()
        logger.info("TLS reloaded", metadata: [
            "tls.serial": "\(loaded.serial)", "tls.previous_serial": "\(previous)",
            "tls.not_after": "\(Self.timestamp(loaded.notAfter))",
        ])
        warnIfExpired(loaded)
        return true
    }

    private func warnIfExpired(_ loaded: Loaded) {
        // Served anyway: refusing would turn a missed rotation into a full outage (probes
        // and /metrics included); clients see the expiry and the log says why.
        if Double(loaded.notAfter) < Date().timeIntervalSince1970 {
            logger.warning("TLS certificate has expired", metadata: [
                "tls.serial": "\(loaded.serial)", "tls.not_after": "\(Self.timestamp(loaded.notAfter))"])
        }
    }

    static func load(_ settings: TLSSettings) throws -> Loaded {
        let chain = try readCertificates(settings.certFile, what: "cert_file")
        try requireReadable(settings.keyFile, what: "key_file")
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: settings.keyFile, format: .pem)
        } catch {
            throw TLSConfigError("key_file \(settings.keyFile): not a PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        // Only HTTP/1.1 is spoken; advertising it lets ALPN-aware clients settle at once.
        configuration.applicationProtocols = ["http/1.1"]
        if let caFile = settings.clientCAFile {
            let roots = try readCertificates(caFile, what: "client_ca_file")
            configuration.trustRoots = .certificates(roots)
            // Tells the client which CA to pick a certificate for.
            configuration.sendCANameList = true
        }
        switch settings.clientAuth {
        case .none: configuration.certificateVerification = .none
        case .optional: configuration.certificateVerification = .optionalVerification
        // A client certificate names a client, not a host: the chain is verified, no hostname.
        case .require: configuration.certificateVerification = .noHostnameVerification
        }
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            // BoringSSL refuses a key that does not belong to the leaf certificate here.
            throw TLSConfigError("cert_file \(settings.certFile) and key_file \(settings.keyFile) do not form a usable TLS identity (\(error))")
        }
        let leaf = chain[0]
        return Loaded(context: context, serial: leaf.serialNumber.map { String(format: "%02x", $0) }.joined(),
                      notAfter: Int(leaf.notValidAfter))
    }

    private static func readCertificates(_ path: String, what: String) throws -> [NIOSSLCertificate] {
        try requireReadable(path, what: what)
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw TLSConfigError("\(what) \(path): not a PEM certificate file (\(error))")
        }
        guard !certificates.isEmpty else { throw TLSConfigError("\(what) \(path): no certificate in it") }
        return certificates
    }

    /// BoringSSL's own error for a missing file is a bare code; this says which file.
    private static func requireReadable(_ path: String, what: String) throws {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw TLSConfigError("\(what) \(path): cannot read the file")
        }
    }

    private static func timestamp(_ seconds: Int) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
