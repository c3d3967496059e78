import ArgumentParser
import Logging
import SeismoServer

extension Serve {
    /// Defaults ← config file ← flags; nil when no TLS key is given anywhere.
    func resolveTLS(_ file: FileConfig.TLS?) throws -> TLSSettings? {
        let cert = tlsCertFile ?? file?.cert_file
        let key = tlsKeyFile ?? file?.key_file
        let clientCA = tlsClientCAFile ?? file?.client_ca_file
        let modeText = tlsClientAuth ?? file?.client_auth
        guard cert != nil || key != nil || clientCA != nil || modeText != nil else { return nil }
        guard let cert, let key else {
            throw ValidationError("tls: cert_file and key_file (--tls-cert-file, --tls-key-file) are needed together")
        }
        // A CA file on its own means "check clients against it": the safe reading.
        var mode: ClientAuth = clientCA == nil ? .none : .require
        if let modeText {
            guard let parsed = ClientAuth(rawValue: modeText) else {
                throw ValidationError("tls.client_auth: unknown mode \"\(modeText)\" (use none, optional or require)")
            }
            mode = parsed
        }
        let settings = TLSSettings(certFile: cert, keyFile: key, clientCAFile: clientCA, clientAuth: mode)
        do {
            try settings.validate()
        } catch {
            throw ValidationError("tls: \(error)")
        }
        return settings
    }

    /// Loads the TLS files (a failure stops startup) and has SIGHUP re-read them.
    func startTLS(_ settings: TLSSettings?, hangup: HangupSignal, logger: Logger) throws -> TLSContextHolder? {
        guard let settings else { return nil }
        let holder: TLSContextHolder
        do {
            holder = try TLSContextHolder(settings: settings, logger: logger)
        } catch {
            throw ValidationError("tls: \(error)")
        }
        hangup.register { holder.reload() }
        return holder
    }

    /// What `serve` prints on start: where to send, and the prometheus.yml stanza for it.
    func banner(server: ServerConfig, port: Int, dataDirectory: String) -> String {
        let scheme = server.tls == nil ? "http" : "https"
        let url = "\(scheme)://\(server.host):\(port)/api/v1/write"
        var stanza = "remote_write:\n  - url: \(url)\n"
        if let tls = server.tls {
            stanza += "    tls_config:\n      ca_file: /path/to/ca.crt        # the CA that signed \(tls.certFile)\n"
            if tls.clientAuth != .none, let clientCA = tls.clientCAFile {
                stanza += "      cert_file: /path/to/client.crt  # signed by a CA in \(clientCA)\n"
                stanza += "      key_file: /path/to/client.key\n"
            }
        }
        return "Seismo is receiving remote write on \(url) (data: \(dataDirectory))\nAdd this to prometheus.yml:\n\n\(stanza)\n"
    }
}
