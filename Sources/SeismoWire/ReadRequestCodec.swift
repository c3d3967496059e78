import CSeismoPromPB
import SeismoModel

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
                matchers.append(LabelMatcher(kind, CStrings.string(m.name), CStrings.string(m.value)))
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
                hintFunction: hints.map { CStrings.string($0.`func`) } ?? "", hintStepMs: hints?.step_ms ?? 0))
        }
        var types: [ReadRequest.ResponseType] = []
        for i in 0..<Int(r.n_accepted_response_types) {
            if let t = ReadRequest.ResponseType(rawValue: Int(r.accepted_response_types[i].rawValue)) { types.append(t) }
        }
        return ReadRequest(queries: queries, acceptedResponseTypes: types)
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
        // Second pass: write straight into a buffer of the exact size.
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            var w = ByteWriter(buffer.baseAddress!)
            for (r, result) in results.enumerated() {
                w.header(1, resultSizes[r])
                for (i, s) in result.enumerated() {
                    w.header(1, seriesSizes[r][i])
                    for l in s.labels {
                        w.header(1, labelSize(l))
                        if !l.name.isEmpty { w.string(1, l.name) }
                        if !l.value.isEmpty { w.string(2, l.value) }
                    }
                    s.timestampsMs.withUnsafeBufferPointer { times in
                        s.valueBits.withUnsafeBufferPointer { values in
                            for k in 0..<times.count {
                                let bits = values[k], t = times[k]
                                w.header(2, sampleSize(bits, t))
                                if bits != 0 {
                                    w.byte(0x09)  // field 1, fixed64
                                    w.fixed64(bits)
                                }
                                if t != 0 {
                                    w.byte(0x10)  // field 2, varint
                                    w.uvarint(UInt64(bitPattern: t))
                                }
                            }
                        }
                    }
                }
            }
            initialized = w.offset
            precondition(initialized == total, "ReadResponse size mismatch: wrote \(initialized), computed \(total)")
        }
    }
}

/// Writes protobuf wire bytes through a raw pointer into memory sized in advance.
struct ByteWriter {
    let base: UnsafeMutablePointer<UInt8>
    var offset = 0

    init(_ base: UnsafeMutablePointer<UInt8>) { self.base = base }

    @inline(__always) mutating func byte(_ b: UInt8) {
        base[offset] = b
        offset += 1
    }

    @inline(__always) mutating func uvarint(_ v: UInt64) {
        var x = v
        while x >= 0x80 {
            byte(UInt8(truncatingIfNeeded: x) | 0x80)
            x >>= 7
        }
        byte(UInt8(x))
    }

    @inline(__always) mutating func fixed64(_ v: UInt64) {
        UnsafeMutableRawPointer(base + offset).storeBytes(of: v.littleEndian, as: UInt64.self)
        offset += 8
    }

    /// Tag of a length-delimited field (field numbers < 16) and its length.
    @inline(__always) mutating func header(_ field: Int, _ length: Int) {
        byte(UInt8(field << 3 | 2))
        uvarint(UInt64(length))
    }

    mutating func string(_ field: Int, _ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            header(field, utf8.count)
            (base + offset).update(from: utf8.baseAddress!, count: utf8.count)
            offset += utf8.count
        }
    }
}

/// Protobuf size arithmetic for the two-pass encoder.
enum Proto {
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
}
