/// Size limits for one remote-write request body.
public struct WireLimits: Sendable {
    /// Largest accepted HTTP body (the snappy block), in bytes.
    public var maxCompressedBytes: Int
    /// Largest accepted decoded protobuf, in bytes. Checked against snappy's *declared*
    /// length before anything is allocated, so a length bomb costs nothing.
    public var maxDecodedBytes: Int

    public init(maxCompressedBytes: Int = 32 << 20, maxDecodedBytes: Int = 64 << 20) {
        self.maxCompressedBytes = maxCompressedBytes
        self.maxDecodedBytes = maxDecodedBytes
    }
}

/// A request body that can never be accepted. The server maps `.tooLarge` to 413 and
/// `.malformed` to 400; `message` starts with the problem so it survives truncation
/// by the sender (Prometheus keeps the first 1024 bytes of an error body).
public struct WireError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case tooLarge, malformed }
    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    static func malformed(_ message: String) -> WireError { WireError(.malformed, message) }
    static func tooLarge(_ message: String) -> WireError { WireError(.tooLarge, message) }
}
