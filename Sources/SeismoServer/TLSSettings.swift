/// Whether connecting clients must show a certificate signed by the client CA.
public enum ClientAuth: String, CaseIterable, Sendable {
    /// No client certificate is asked for (credentials, if any, come from `auth`).
    case none
    /// A client may show a certificate; if it does, it must verify against the client
    /// CA, and a client without one is still let in.
    case optional
    /// The handshake fails unless the client shows a certificate that verifies.
    case require
}

/// TLS for the listener: certificate chain and key as PEM files, optionally a CA file
/// for client certificates. Paths, not contents, so a SIGHUP can re-read them after a
/// certificate rotation.
public struct TLSSettings: Sendable, Equatable {
    /// PEM: the server certificate first, then any intermediates.
    public var certFile: String
    /// PEM private key matching the first certificate of `certFile`.
    public var keyFile: String
    /// PEM bundle of the CAs client certificates must chain to.
    public var clientCAFile: String?
    public var clientAuth: ClientAuth
    /// A connection that has not finished its handshake by then is closed, so idle or
    /// half-open sockets do not pile up.
    public var handshakeTimeoutSeconds: Int64 = 10

    public init(certFile: String, keyFile: String, clientCAFile: String? = nil, clientAuth: ClientAuth = .none) {
        self.certFile = certFile
        self.keyFile = keyFile
        self.clientCAFile = clientCAFile
        self.clientAuth = clientAuth
    }

    /// Catches combinations that would silently do something else than meant: a client
    /// CA that is never consulted, or client verification without anything to verify
    /// against.
    public func validate() throws {
        switch (clientAuth, clientCAFile) {
        case (.none, .some):
            throw TLSConfigError("client_ca_file is set but client_auth is none: the CA would be ignored (use optional or require)")
        case (.optional, nil), (.require, nil):
            throw TLSConfigError("client_auth \(clientAuth.rawValue) needs client_ca_file")
        default:
            break
        }
    }
}

public struct TLSConfigError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
