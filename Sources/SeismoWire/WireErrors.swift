/// Size limits for one remote-write request body.
public struct WireLimits: Sendable {
    /// Largest accepted HTTP body (the snappy block), in bytes.
    public var maxCompressedBytes: Int
    /// Largest accepted decoded protobuf, in bytes. Checked against snappy's *declared*
    /// length before anything is allocated, so a length bomb costs nothing.
    public var maxDecodedBytes: Int
    /// Most TimeSeries entries in one request; more → the whole request is refused (413).
    public var maxSeriesPerRequest: Int
    /// Per-series label limits; a series beyond them is refused (400), the rest stored.
    public var maxLabelsPerSeries: Int
    public var maxLabelNameBytes: Int
    public var maxLabelValueBytes: Int

    public init(maxCompressedBytes: Int = 32 << 20, maxDecodedBytes: Int = 64 << 20,
                maxSeriesPerRequest: Int = 1_000_000, maxLabelsPerSeries: Int = 64,
                maxLabelNameBytes: Int = 1024, maxLabelValueBytes: Int = 4096) {
        self.maxCompressedBytes = maxCompressedBytes
        self.maxDecodedBytes = maxDecodedBytes
        self.maxSeriesPerRequest = maxSeriesPerRequest
        self.maxLabelsPerSeries = maxLabelsPerSeries
        self.maxLabelNameBytes = maxLabelNameBytes
        self.maxLabelValueBytes = maxLabelValueBytes
    }
}

extension WireLimits {
    /// The size check of the decoders' `decode(protobuf:)`: an uncompressed request has
    /// no snappy header to check, so its own size is held to `maxDecodedBytes`.
    func checkProtobufSize(_ count: Int) throws {
        guard count <= maxDecodedBytes else {
            throw WireError.tooLarge("protobuf: request of \(count) bytes exceeds limit \(maxDecodedBytes)")
        }
    }

    /// The refusal of a request with more series than `maxSeriesPerRequest` (413), in the
    /// words all decoders use.
    func tooManySeries(_ count: Int) -> WireError {
        WireError.tooLarge("series: request has \(count) series, limit is \(maxSeriesPerRequest) (limits.max_series_per_request)",
                           limit: "series_per_request")
    }
}

/// A request body that can never be accepted. The server maps `.tooLarge` to 413 and
/// `.malformed` to 400; `message` starts with the problem so it survives truncation
/// by the sender (Prometheus keeps the first 1024 bytes of an error body).
public struct WireError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case tooLarge, malformed }
    public var kind: Kind
    public var message: String
    /// For `.tooLarge`: which limit (`decoded_size`, `body_size`, `series_per_request`),
    /// the dimension of `seismo_requests_refused_total`.
    public var limit: String

    public init(_ kind: Kind, _ message: String, limit: String = "decoded_size") {
        self.kind = kind
        self.message = message
        self.limit = limit
    }

    public var description: String { message }

    static func malformed(_ message: String) -> WireError { WireError(.malformed, message) }

    /// `BatchSeries` offsets are Int32, so a request that could push the batch's key
    /// bytes or samples (as they would be after it) past that is refused up front rather
    /// than half-appended. Each decoder bounds what a request can add its own way; the
    /// check and its words are shared.
    static func checkBatchOffsets(keyBytes: Int, samples: Int, requestBytes: Int) throws {
        guard keyBytes <= Int(Int32.max), samples <= Int(Int32.max) else {
            throw tooLarge("batch: request of \(requestBytes) bytes would overflow the batch's 32-bit offsets")
        }
    }
    static func tooLarge(_ message: String, limit: String = "decoded_size") -> WireError {
        WireError(.tooLarge, message, limit: limit)
    }
}
