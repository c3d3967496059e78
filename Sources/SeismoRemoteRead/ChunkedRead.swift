import SeismoModel

/// One series of a remote-read result, as chunks: labels in the order given (Prometheus
/// expects them sorted) and chunks by start time.
public typealias ChunkedReadSeries = (
    labels: [(name: String, value: String)],
    chunks: [(minTimeMs: Int64, maxTimeMs: Int64, data: [UInt8])]
)

/// Hand-written protobuf encoding of `prometheus.ChunkedReadResponse`, byte-identical with
/// the gogo-generated marshaller Prometheus uses: fields in field-number order, proto3
/// zero scalars (0, "", empty bytes) omitted, repeated messages always written (even empty).
///
///     ChunkedReadResponse { repeated ChunkedSeries chunked_series = 1; int64 query_index = 2; }
///     ChunkedSeries       { repeated Label labels = 1; repeated Chunk chunks = 2; }
///     Label               { string name = 1; string value = 2; }
///     Chunk               { int64 min_time_ms = 1; int64 max_time_ms = 2; Encoding type = 3; bytes data = 4; }
///
/// Every chunk is written with `type = XOR (1)`.
public enum ChunkedReadEncoder {
    static let xorEncoding: UInt64 = 1

    public static func message(
        querySeries: [(labels: [(name: String, value: String)], chunks: [(minTimeMs: Int64, maxTimeMs: Int64, data: [UInt8])])],
        queryIndex: Int64
    ) -> [UInt8] {
        var size = 0
        for s in querySeries { size += lengthDelimitedSize(seriesSize(s)) }
        if queryIndex != 0 { size += 1 + uvarintSize(UInt64(bitPattern: queryIndex)) }
        var out: [UInt8] = []
        out.reserveCapacity(size)
        for s in querySeries {
            out.append(0x0A)  // field 1, length-delimited
            appendUVarint(UInt64(seriesSize(s)), to: &out)
            appendSeries(s, to: &out)
        }
        if queryIndex != 0 {
            out.append(0x10)  // field 2, varint
            appendUVarint(UInt64(bitPattern: queryIndex), to: &out)
        }
        return out
    }

    // MARK: sizes (as gogo's Size(): the message body without its own tag/length)

    static func uvarintSize(_ v: UInt64) -> Int {
        v == 0 ? 1 : (64 - v.leadingZeroBitCount + 6) / 7
    }

    /// Tag (1 byte for fields < 16) + length prefix + body.
    static func lengthDelimitedSize(_ n: Int) -> Int { 1 + uvarintSize(UInt64(n)) + n }

    static func labelSize(name: String, value: String) -> Int {
        let n = name.utf8.count, v = value.utf8.count
        return (n > 0 ? lengthDelimitedSize(n) : 0) + (v > 0 ? lengthDelimitedSize(v) : 0)
    }

    static func chunkSize(minTimeMs: Int64, maxTimeMs: Int64, data: [UInt8]) -> Int {
        var n = 0
        if minTimeMs != 0 { n += 1 + uvarintSize(UInt64(bitPattern: minTimeMs)) }
        if maxTimeMs != 0 { n += 1 + uvarintSize(UInt64(bitPattern: maxTimeMs)) }
        n += 1 + uvarintSize(xorEncoding)
        if !data.isEmpty { n += lengthDelimitedSize(data.count) }
        return n
    }

    static func seriesSize(_ s: ChunkedReadSeries) -> Int {
        var n = 0
        for l in s.labels { n += lengthDelimitedSize(labelSize(name: l.name, value: l.value)) }
        for c in s.chunks { n += lengthDelimitedSize(chunkSize(minTimeMs: c.minTimeMs, maxTimeMs: c.maxTimeMs, data: c.data)) }
        return n
    }

    // MARK: writers

    static func appendString(field: UInt8, _ s: String, to out: inout [UInt8]) {
        let n = s.utf8.count
        guard n > 0 else { return }
        out.append(field << 3 | 2)
        appendUVarint(UInt64(n), to: &out)
        out.append(contentsOf: s.utf8)
    }

    static func appendSeries(_ s: ChunkedReadSeries, to out: inout [UInt8]) {
        for l in s.labels {
            out.append(0x0A)  // labels = 1
            appendUVarint(UInt64(labelSize(name: l.name, value: l.value)), to: &out)
            appendString(field: 1, l.name, to: &out)
            appendString(field: 2, l.value, to: &out)
        }
        for c in s.chunks {
            out.append(0x12)  // chunks = 2
            appendUVarint(UInt64(chunkSize(minTimeMs: c.minTimeMs, maxTimeMs: c.maxTimeMs, data: c.data)), to: &out)
            if c.minTimeMs != 0 {
                out.append(0x08)
                appendUVarint(UInt64(bitPattern: c.minTimeMs), to: &out)
            }
            if c.maxTimeMs != 0 {
                out.append(0x10)
                appendUVarint(UInt64(bitPattern: c.maxTimeMs), to: &out)
            }
            out.append(0x18)
            appendUVarint(xorEncoding, to: &out)
            if !c.data.isEmpty {
                out.append(0x22)
                appendUVarint(UInt64(c.data.count), to: &out)
                out.append(contentsOf: c.data)
            }
        }
    }
}

/// Errors from parsing a STREAMED_XOR_CHUNKS body.
public enum ChunkedFrameError: Error, Equatable, Sendable {
    /// The stream ended inside a frame's length, checksum or message.
    case truncated(offset: Int)
    /// A frame's length varint is malformed.
    case badLength(offset: Int)
    /// A frame announces a message larger than the reader's limit.
    case frameTooLarge(offset: Int, size: UInt64)
    /// The CRC-32C in the frame header does not match the message.
    case checksumMismatch(offset: Int, expected: UInt32, actual: UInt32)
}

/// Framing of the STREAMED_XOR_CHUNKS remote-read response (Prometheus `storage/remote/chunked.go`):
///
///     uvarint(len(msg)) | CRC-32C(msg), 4 bytes big-endian | msg
public enum ChunkedFrames {
    /// Appends one frame carrying `message`.
    public static func appendFrame(_ message: [UInt8], to out: inout [UInt8]) {
        appendUVarint(UInt64(message.count), to: &out)
        let crc = CRC32C.checksum(message)
        out.append(UInt8(truncatingIfNeeded: crc >> 24))
        out.append(UInt8(truncatingIfNeeded: crc >> 16))
        out.append(UInt8(truncatingIfNeeded: crc >> 8))
        out.append(UInt8(truncatingIfNeeded: crc))
        out.append(contentsOf: message)
    }

    /// Splits a stream into its messages, checking each frame's CRC. `maxFrameBytes` is the
    /// reader's size limit (Prometheus's client default `chunked_read_limit` is 5e7).
    public static func parse(_ stream: [UInt8], maxFrameBytes: Int = 50_000_000) throws -> [[UInt8]] {
        var messages: [[UInt8]] = []
        var i = 0
        while i < stream.count {
            let start = i
            // Length varint.
            var size: UInt64 = 0
            var shift: UInt64 = 0
            var done = false
            while !done {
                guard i < stream.count else { throw ChunkedFrameError.truncated(offset: start) }
                let b = stream[i]
                i += 1
                if shift == 63 && b > 1 { throw ChunkedFrameError.badLength(offset: start) }
                size |= UInt64(b & 0x7f) << shift
                if b < 0x80 { done = true } else {
                    shift += 7
                    if shift > 63 { throw ChunkedFrameError.badLength(offset: start) }
                }
            }
            if size > UInt64(maxFrameBytes) { throw ChunkedFrameError.frameTooLarge(offset: start, size: size) }
            let n = Int(size)
            guard stream.count - i >= 4 + n else { throw ChunkedFrameError.truncated(offset: start) }
            let expected = UInt32(stream[i]) << 24 | UInt32(stream[i + 1]) << 16 | UInt32(stream[i + 2]) << 8 | UInt32(stream[i + 3])
            i += 4
            let message = Array(stream[i..<(i + n)])
            i += n
            let actual = CRC32C.checksum(message)
            guard actual == expected else {
                throw ChunkedFrameError.checksumMismatch(offset: start, expected: expected, actual: actual)
            }
            messages.append(message)
        }
        return messages
    }

    /// Turns one query's result into complete frames (length | CRC | message); concatenated,
    /// they are the response body. Follows Prometheus's `StreamChunkedReadResponses` exactly:
    /// one series per frame (Prometheus ≥ 2.55 clients read only `chunked_series[0]` of each
    /// frame, so several series must never share a frame); a series whose chunks exceed the
    /// budget (`targetFrameBytes` minus the encoded size of its labels) continues in further
    /// frames that repeat its labels, and the budget may be overshot by one chunk. Series are
    /// emitted in the given order; a series without chunks emits no frame.
    public static func frames(
        series: [(labels: [(name: String, value: String)], chunks: [(minTimeMs: Int64, maxTimeMs: Int64, data: [UInt8])])],
        queryIndex: Int64,
        targetFrameBytes: Int = 1 << 20
    ) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        for s in series where !s.chunks.isEmpty {
            var budget = targetFrameBytes
            for l in s.labels { budget -= ChunkedReadEncoder.labelSize(name: l.name, value: l.value) }
            var left = budget
            var pending: [(minTimeMs: Int64, maxTimeMs: Int64, data: [UInt8])] = []
            for (k, c) in s.chunks.enumerated() {
                pending.append(c)
                left -= ChunkedReadEncoder.chunkSize(minTimeMs: c.minTimeMs, maxTimeMs: c.maxTimeMs, data: c.data)
                let more = k + 1 < s.chunks.count
                if left > 0 && more { continue }
                let message = ChunkedReadEncoder.message(querySeries: [(labels: s.labels, chunks: pending)], queryIndex: queryIndex)
                var frame: [UInt8] = []
                frame.reserveCapacity(message.count + 14)
                appendFrame(message, to: &frame)
                frames.append(frame)
                pending.removeAll(keepingCapacity: true)
                left = budget
            }
        }
        return frames
    }
}
