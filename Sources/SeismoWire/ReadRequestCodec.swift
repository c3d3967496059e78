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
    /// uncompressed protobuf. Hand-written: it is a handful of nested length-delimited
    /// fields, and writing them directly avoids building C structs per sample.
    public static func encodeSamplesResponse(_ results: [[SeriesSamples]]) -> [UInt8] {
        var out: [UInt8] = []
        var queryResult: [UInt8] = []
        var series: [UInt8] = []
        var scratch: [UInt8] = []
        for result in results {
            queryResult.removeAll(keepingCapacity: true)
            for s in result {
                series.removeAll(keepingCapacity: true)
                for (name, value) in s.labels {
                    scratch.removeAll(keepingCapacity: true)
                    Proto.bytes(1, Array(name.utf8), to: &scratch)
                    Proto.bytes(2, Array(value.utf8), to: &scratch)
                    Proto.bytes(1, scratch, to: &series)  // TimeSeries.labels
                }
                for k in 0..<s.timestampsMs.count {
                    scratch.removeAll(keepingCapacity: true)
                    // Sample { double value = 1; int64 timestamp = 2; } — zero fields omitted as proto3 does.
                    if s.valueBits[k] != 0 { Proto.fixed64(1, s.valueBits[k], to: &scratch) }
                    if s.timestampsMs[k] != 0 { Proto.varintField(2, UInt64(bitPattern: s.timestampsMs[k]), to: &scratch) }
                    Proto.bytes(2, scratch, to: &series)  // TimeSeries.samples
                }
                Proto.bytes(1, series, to: &queryResult)  // QueryResult.timeseries
            }
            Proto.bytes(1, queryResult, to: &out)  // ReadResponse.results
        }
        return out
    }
}

/// Minimal protobuf wire encoding helpers.
enum Proto {
    static func tag(_ field: Int, _ wireType: Int, to out: inout [UInt8]) {
        appendUVarint(UInt64(field << 3 | wireType), to: &out)
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
