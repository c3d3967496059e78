import Foundation
import Yams

/// The YAML configuration file (`--config FILE`). Every key is optional; flags given on
/// the command line win over the file, and the file wins over built-in defaults.
///
///     listen: 127.0.0.1:9201
///     data: ./data
///     log_level: info
///     storage:
///       head_window: 10m          # out-of-order window behind the newest sample
///       segment_span: 1h          # sealed segment length (1m .. 7d)
///       retention: 0s             # delete segments older than this; 0 keeps all
///       columns_per_file: 1000    # series per Parquet file of a segment
///       value_encoding: byte_stream_split  # or plain (for fastparquet); both are read back
///       integer_columns: true     # whole-number series as INT64 in segments; false = all DOUBLE
///       footer_labels: false      # true: seismo.series repeats each column's labels (~220 B/series/file)
///       wal_file_size: 64MiB
///       max_pending_wal: 256MiB   # unfsynced WAL beyond this → 503
///     limits:
///       max_body_size: 32MiB      # compressed remote-write body → 413 beyond
///       max_decoded_size: 64MiB   # snappy-declared decoded size → 413 beyond
///       max_future: 10m           # samples further ahead of the clock are refused
///       max_series: 250000        # cardinality cap: new series beyond → refused (400); ~1–2 KiB RSS each (paged head)
///       max_series_per_request: 1000000   # TimeSeries entries per request → 413 beyond
///       max_labels_per_series: 64         # a series with more labels is refused (400)
///       max_label_name_length: 1024       # bytes
///       max_label_value_length: 4096      # bytes
///       max_concurrent_requests: 256      # beyond → 503 + Retry-After
///       max_read_samples: 50000000        # remote-read answers larger → 400
///     auth:                       # per endpoint class; a class left out is open
///       write: {bearer_token_file: /etc/seismo/write.token}
///       read: {basic_auth: {username: prometheus, password_file: /etc/seismo/read.password}}
///       export: {bearer_token_file: /etc/seismo/export.token}
///       admin: {bearer_token_file: /etc/seismo/admin.token}   # POST /api/v1/labels, reports
///     tls:                        # HTTPS on the listen port; all files re-read on SIGHUP
///       cert_file: /etc/seismo/tls/server.crt        # PEM, leaf first, then intermediates
///       key_file: /etc/seismo/tls/server.key         # PEM
///       client_ca_file: /etc/seismo/tls/clients-ca.crt   # verify client certificates
///       client_auth: require      # none | optional | require (default: require with a CA file, else none)
///     detection:
///       enabled: true             # inline anomaly detection and alerts
///       rules: rules.yaml         # alert rules; without it the built-in default rule
///     alerting:
///       alertmanagers: [http://127.0.0.1:9093]
///       external_url: http://seismo.example:9201
struct FileConfig: Decodable {
    struct Credentials: Decodable {
        struct Basic: Decodable {
            var username: String
            var password_file: String
        }
        var bearer_token_file: String?
        var basic_auth: Basic?
    }

    struct Auth: Decodable {
        var write: Credentials?
        var read: Credentials?
        var export: Credentials?
        var admin: Credentials?
    }

    struct TLS: Decodable {
        var cert_file: String?
        var key_file: String?
        var client_ca_file: String?
        var client_auth: String?
    }

    struct Detection: Decodable {
        var enabled: Bool?
        var rules: String?
    }

    struct Alerting: Decodable {
        var alertmanagers: [String]?
        var external_url: String?
    }

    struct Storage: Decodable {
        var head_window: String?
        var segment_span: String?
        var retention: String?
        var columns_per_file: Int?
        var value_encoding: String?
        var integer_columns: Bool?
        var footer_labels: Bool?
        var wal_file_size: String?
        var max_pending_wal: String?
    }

    struct Limits: Decodable {
        var max_body_size: String?
        var max_decoded_size: String?
        var max_future: String?
        var max_series: Int?
        var max_series_per_request: Int?
        var max_labels_per_series: Int?
        var max_label_name_length: Int?
        var max_label_value_length: Int?
        var max_concurrent_requests: Int?
        var max_read_samples: Int?
    }

    var listen: String?
    var data: String?
    var log_level: String?
    var storage: Storage?
    var limits: Limits?
    var detection: Detection?
    var auth: Auth?
    var tls: TLS?
    var alerting: Alerting?

    static func load(path: String) throws -> FileConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError("cannot read config file \(path): \(error.localizedDescription)")
        }
        do {
            return try YAMLDecoder().decode(FileConfig.self, from: text.isEmpty ? "{}" : text)
        } catch {
            throw ConfigError("invalid config file \(path): \(error)")
        }
    }
}

struct ConfigError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
