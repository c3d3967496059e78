import CSeismoPromPB
import SeismoModel

#if canImport(Glibc)
import Glibc
#endif

/// A decoded remote-read request (prometheus.ReadRequest).
public struct ReadRequest: Sendable {
    public struct Query: Sendable {
        public var startMs: Int64
        public var endMs: Int64
        public var matchers: [LabelMatcher]
        /// Hints are advisory; kept for logging.
        public var hintFunction: String
        public var hintStepMs: Int64
    }

    /// Response types the client accepts, in preference order (0 SAMPLES, 1 STREAMED_XOR_CHUNKS).
    public enum ResponseType: Int, Sendable {
        case samples = 0
        case streamedXORChunks = 1
    }

    public var queries: [Query]
    /// As sent; unknown numbers are dropped. Empty means SAMPLES (Prometheus ≤ 2.54).
    public var acceptedResponseTypes: [ResponseType]
}

public enum ReadRequestCodec {
    /// Decodes a snappy-compressed ReadRequest body, checking the declared decoded length
    /// against `limits` before allocating.
    public static func decode(snappyBody: UnsafeRawBufferPointer, limits: WireLimits) throws -> ReadRequest {
        guard snappyBody.count > 0 else { throw WireError(.malformed, "read request: empty body") }
        guard snappyBody.count <= limits.maxCompressedBytes else {
            throw WireError(.tooLarge, "read request: body of \(snappyBody.count) bytes exceeds limit \(limits.maxCompressedBytes)")
        }
        var raw: [UInt8] = []
        try Snappy.decompress(snappyBody, maxDecodedBytes: limits.maxDecodedBytes, into: &raw)
        return try raw.withUnsafeBytes { try decode(protobuf: $0) }
    }

    public static func decode(protobuf: UnsafeRawBufferPointer) throws -> ReadRequest {
        guard let base = protobuf.baseAddress,
              let request = prometheus__read_request__unpack(nil, protobuf.count, base.assumingMemoryBound(to: UInt8.self))
        else { throw WireError(.malformed, "protobuf: cannot decode ReadRequest (\(protobuf.count) bytes)") }
        defer { prometheus__read_request__free_unpacked(request, nil) }
        let r = request.pointee
        var queries: [ReadRequest.Query] = []
        for i in 0..<Int(r.n_queries) {
            guard let q = r.queries[i]?.pointee else { continue }
            var matchers: [LabelMatcher] = []
            for j in 0..<Int(q.n_matchers) {
                guard let m = q.matchers[j]?.pointee else { continue }
                guard let kind = LabelMatcher.Kind(rawValue: Int(m.type.rawValue)) else {
                    throw WireError(.malformed, "read request: query \(i) matcher \(j) has unknown type \(m.type.rawValue)")
                }
                matchers.append(LabelMatcher(kind, string(m.name), string(m.value)))
            }
            guard !matchers.isEmpty else {
                throw WireError(.malformed, "read request: query \(i) has no matchers")
            }
            guard q.start_timestamp_ms <= q.end_timestamp_ms else {
                throw WireError(.malformed, "read request: query \(i) starts (\(q.start_timestamp_ms) ms) after it ends (\(q.end_timestamp_ms) ms)")
            }
            let hints = q.hints?.pointee
            queries.append(ReadRequest.Query(
                startMs: q.start_timestamp_ms, endMs: q.end_timestamp_ms, matchers: matchers,
                hintFunction: hints.map { string($0.`func`) } ?? "", hintStepMs: hints?.step_ms ?? 0))
        }
        var types: [ReadRequest.ResponseType] = []
        for i in 0..<Int(r.n_accepted_response_types) {
            if let t = ReadRequest.ResponseType(rawValue: Int(r.accepted_response_types[i].rawValue)) { types.append(t) }
        }
        return ReadRequest(queries: queries, acceptedResponseTypes: types)
    }

    private static func string(_ s: UnsafeMutablePointer<CChar>?) -> String {
        guard let s else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: s, count: strlen(s)), as: UTF8.self)
    }

    /// Encodes `prometheus.ReadResponse` (one QueryResult per query, in order) as
    /// uncompressed protobuf. Hand-written in two passes — sizes first, then one write into
    /// a buffer of the exact size — because a SAMPLES answer holds millions of tiny
    /// messages and nested temporary buffers would copy every byte several times.
    ///
    ///     ReadResponse { repeated QueryResult results = 1; }
    ///     QueryResult  { repeated TimeSeries timeseries = 1; }
    ///     TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
    ///     Sample       { double value = 1; int64 timestamp = 2; }   (zero fields omitted)
    public static func encodeSamplesResponse(_ results: [[SeriesSamples]]) -> [UInt8] {
        func sampleSize(_ bits: UInt64, _ t: Int64) -> Int {
            (bits != 0 ? 9 : 0) + (t != 0 ? 1 + Proto.uvarintSize(UInt64(bitPattern: t)) : 0)
        }
        func labelSize(_ l: (name: String, value: String)) -> Int {
            let n = l.name.utf8.count, v = l.value.utf8.count
            return (n > 0 ? 1 + Proto.uvarintSize(UInt64(n)) + n : 0) + (v > 0 ? 1 + Proto.uvarintSize(UInt64(v)) + v : 0)
        }
        var seriesSizes: [[Int]] = []
        var resultSizes: [Int] = []
        var total = 0
        for result in results {
            var sizes: [Int] = []
            sizes.reserveCapacity(result.count)
            var resultSize = 0
            for s in result {
                var size = 0
                for l in s.labels { size += Proto.fieldSize(labelSize(l)) }
                for k in s.timestampsMs.indices { size += Proto.fieldSize(sampleSize(s.valueBits[k], s.timestampsMs[k])) }
                sizes.append(size)
                resultSize += Proto.fieldSize(size)
            }
            seriesSizes.append(sizes)
            resultSizes.append(resultSize)
            total += Proto.fieldSize(resultSize)
        }
        var out: [UInt8] = []
        out.reserveCapacity(total)
        for (r, result) in results.enumerated() {
            Proto.header(1, length: resultSizes[r], to: &out)
            for (i, s) in result.enumerated() {
                Proto.header(1, length: seriesSizes[r][i], to: &out)
                for l in s.labels {
                    Proto.header(1, length: labelSize(l), to: &out)
                    if !l.name.isEmpty { Proto.string(1, l.name, to: &out) }
                    if !l.value.isEmpty { Proto.string(2, l.value, to: &out) }
                }
                for k in s.timestampsMs.indices {
                    let bits = s.valueBits[k], t = s.timestampsMs[k]
                    Proto.header(2, length: sampleSize(bits, t), to: &out)
                    if bits != 0 { Proto.fixed64(1, bits, to: &out) }
                    if t != 0 { Proto.varintField(2, UInt64(bitPattern: t), to: &out) }
                }
            }
        }
        return out
    }
}

/// Minimal protobuf wire encoding helpers.
enum Proto {
    static func tag(_ field: Int, _ wireType: Int, to out: inout [UInt8]) {
        appendUVarint(UInt64(field << 3 | wireType), to: &out)
    }

    static func uvarintSize(_ v: UInt64) -> Int {
        var n = 1
        var x = v
        while x >= 0x80 {
            x >>= 7
            n += 1
        }
        return n
    }

    /// Bytes of a length-delimited field (1-byte tag) whose payload is `length` bytes.
    static func fieldSize(_ length: Int) -> Int { 1 + uvarintSize(UInt64(length)) + length }

    static func header(_ field: Int, length: Int, to out: inout [UInt8]) {
        tag(field, 2, to: &out)
        appendUVarint(UInt64(length), to: &out)
    }

    static func string(_ field: Int, _ s: String, to out: inout [UInt8]) {
        header(field, length: s.utf8.count, to: &out)
        out.append(contentsOf: s.utf8)
    }

    static func bytes(_ field: Int, _ payload: [UInt8], to out: inout [UInt8]) {
        tag(field, 2, to: &out)
        appendUVarint(UInt64(payload.count), to: &out)
        out.append(contentsOf: payload)
    }

    static func fixed64(_ field: Int, _ v: UInt64, to out: inout [UInt8]) {
        tag(field, 1, to: &out)
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    static func varintField(_ field: Int, _ v: UInt64, to out: inout [UInt8]) {
        tag(field, 0, to: &out)
        appendUVarint(v, to: &out)
    }
}
