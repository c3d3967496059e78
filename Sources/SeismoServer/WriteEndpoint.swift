#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import SeismoModel
import SeismoStore
import SeismoWire

/// `POST /api/v1/write`: Prometheus remote write 1.0.
///
/// Pipeline: headers (415) → size limits (413, also checked while reading the body and
/// against snappy's declared length) → snappy + protobuf decode (400) → validation
/// (bad series refused, good ones kept) → store append → wait for the WAL fsync →
/// 204, or 400 naming what was refused, or 5xx + Retry-After so the sender retries.
final class WriteEndpoint: @unchecked Sendable {
    let store: Store
    let limits: WireLimits
    let metrics: ServerMetrics
    let logger: Logger

    /// Decoder and batch per event-loop thread: both keep their buffers between
    /// requests, so steady-state ingest does not allocate per sample.
    private final class ThreadState {
        let decoder: WriteRequestDecoder
        let decoderV2: WriteRequestV2Decoder
        var batch = WriteBatch()
        /// The store's id of each series of `batch`, for `decoder.learn`.
        var ids: [UInt32] = []
        init(limits: WireLimits) {
            decoder = WriteRequestDecoder(limits: limits)
            decoderV2 = WriteRequestV2Decoder(limits: limits)
        }
    }
    private let threadState = ThreadSpecificVariable<ThreadState>()

    init(store: Store, limits: WireLimits, metrics: ServerMetrics, logger: Logger) {
        self.store = store
        self.limits = limits
        self.metrics = metrics
        self.logger = logger
    }

    /// Which remote-write message a Content-Type announces.
    enum ContentKind: Equatable {
        case v1
        case v2
        case unsupported(String)
    }

    static func classify(contentType: String?) -> ContentKind {
        guard let raw = contentType?.trimmingSpaces, !raw.isEmpty else { return .v1 }  // empty → v1, as client_golang does
        let parts = raw.split(separator: ";").map { String($0).trimmingSpaces }
        guard parts[0].lowercased() == "application/x-protobuf" else { return .unsupported(raw) }
        for p in parts.dropFirst() {
            let kv = p.split(separator: "=", maxSplits: 1).map { String($0).trimmingSpaces }
            guard kv.count == 2, kv[0].lowercased() == "proto" else { continue }
            switch kv[1] {
            case "prometheus.WriteRequest": return .v1
            case "io.prometheus.write.v2.Request": return .v2
            default: return .unsupported(raw)
            }
        }
        return .v1
    }

    /// Announces a write whose head just arrived (see `AppendAnnouncement`).
    func announce() -> AppendAnnouncement {
        AppendAnnouncement(store: store)
    }

    /// `announcement`: made when the request head arrived (nil: the request is announced
    /// now, before its body is decoded).
    func handle(head: HTTPRequestHead, body: ByteBuffer, announcement: AppendAnnouncement? = nil,
                respond: @escaping (Response) -> Void) {
        let started = DispatchTimeNanos.now()
        // A commit due while this body is decoded waits for its append (up to 2 ms), so
        // requests in flight share fsyncs. Every return before the append withdraws it.
        let announcement = announcement ?? announce()
        defer { announcement.withdraw() }
        let encoding = head.headers.first(name: "content-encoding")?.trimmingSpaces.lowercased() ?? ""
        guard encoding == "snappy" else {
            respond(.text(.unsupportedMediaType, encoding.isEmpty
                ? "unsupported Content-Encoding: none given; remote-write bodies must be snappy-compressed (Content-Encoding: snappy)"
                : "unsupported Content-Encoding \"\(encoding)\": remote-write bodies must be snappy-compressed (Content-Encoding: snappy)"))
            return
        }
        let version: ContentKind = Self.classify(contentType: head.headers.first(name: "content-type"))
        if case .unsupported(let type) = version {
            respond(.text(.unsupportedMediaType, "unsupported Content-Type \"\(type)\": expected application/x-protobuf with proto=prometheus.WriteRequest (remote write 1.0) or proto=io.prometheus.write.v2.Request (2.0)"))
            return
        }
        // Remote write 2.0 senders require the Written headers on every answer, errors included.
        let isV2 = version == .v2
        let answer = respond
        let respondStored: (Response, Int) -> Void = { r, stored in
            answer(isV2 ? Self.withWrittenHeaders(r, samples: stored) : r)
        }
        let respond: (Response) -> Void = { r in respondStored(r, 0) }
        metrics.writeBodyBytes.increment(by: body.readableBytes)

        let state: ThreadState
        if let s = threadState.currentValue {
            state = s
        } else {
            state = ThreadState(limits: limits)
            threadState.currentValue = state
        }
        state.batch.removeAll(keepingCapacity: true)
        do {
            try body.withUnsafeReadableBytes { raw in
                if isV2 {
                    try state.decoderV2.decode(snappyBody: raw, into: &state.batch)
                } else {
                    try state.decoder.decode(snappyBody: raw, into: &state.batch)
                }
            }
        } catch let error as WireError {
            switch error.kind {
            case .tooLarge:
                metrics.refused(limit: error.limit)
                respond(.text(.payloadTooLarge, error.message))
            case .malformed: respond(.text(.badRequest, error.message))
            }
            return
        } catch {
            respond(.text(.badRequest, "cannot decode write request: \(error)"))
            return
        }

        let batch = state.batch
        metrics.samplesReceived.increment(by: batch.sampleCount + batch.rejections.total)
        if batch.exemplarsIgnored > 0 { metrics.exemplarsIgnored.increment(by: batch.exemplarsIgnored) }
        if batch.rejections.series > 0 { metrics.seriesRejected.increment(by: batch.rejections.series) }
        if !batch.metadata.isEmpty { metrics.metadataReceived.increment(by: batch.metadata.count) }

        let nowMs = Self.wallClockMs()
        // RW 2.0 forbids a 2xx when known data was not written: exemplars (which Seismo
        // does not keep) then make the answer a 400 that names them. RW 1.0 has no such rule.
        let unwrittenExemplars = isV2 ? batch.exemplarsIgnored : 0
        let onDurable: (Result<AppendResult, StoreError>) -> Void = { [metrics, logger] durable in
            let response: Response
            var stored = 0
            switch durable {
            case .success(let result) where !result.rejections.isEmpty:
                response = .text(.badRequest, result.rejections.describe(stored: result.stored))
                stored = result.stored
            case .success(let result) where unwrittenExemplars > 0:
                response = .text(.badRequest, "rejected \(unwrittenExemplars) exemplars (not stored: Seismo keeps float samples only); stored \(result.stored) samples")
                stored = result.stored
            case .success(let result):
                response = .noContent
                stored = result.stored
            case .failure(let error):
                logger.error("write not durable; asking the sender to retry", metadata: ["write.error": "\(error)"])
                response = .retryLater(.serviceUnavailable, "not stored: \(error); retry later", seconds: 5)
            }
            metrics.writeDuration.recordNanoseconds(Int64(DispatchTimeNanos.now() - started))
            respondStored(response, stored)
        }
        state.ids.removeAll(keepingCapacity: true)
        state.ids.append(contentsOf: repeatElement(BatchSeries.unresolved, count: batch.series.count))
        do {
            announcement.handOver()  // the append counts it off, even when it throws
            try state.ids.withUnsafeMutableBufferPointer { ids in
                _ = try store.append(batch, nowMs: nowMs, resolvedIds: ids.baseAddress, announced: true, onDurable: onDurable)
            }
            // The series that missed the decoder's cache now have ids: the next request
            // that names them skips their labels.
            if !isV2 { state.ids.withUnsafeBufferPointer { state.decoder.learn($0) } }
        } catch let error as StoreError {
            switch error {
            case .overloaded, .closed:
                respond(.retryLater(.serviceUnavailable, "not stored: \(error); retry later", seconds: 1))
            default:
                respond(.retryLater(.internalServerError, "not stored: \(error); retry later", seconds: 5))
            }
        } catch {
            respond(.retryLater(.internalServerError, "not stored: \(error); retry later", seconds: 5))
        }
    }

    /// Seismo stores float samples only: histograms and exemplars are never written (they
    /// are refused and counted, or counted as ignored), so those two headers are always 0.
    static func withWrittenHeaders(_ response: Response, samples: Int) -> Response {
        var r = response
        r.headers.replaceOrAdd(name: "X-Prometheus-Remote-Write-Samples-Written", value: String(samples))
        r.headers.replaceOrAdd(name: "X-Prometheus-Remote-Write-Histograms-Written", value: "0")
        r.headers.replaceOrAdd(name: "X-Prometheus-Remote-Write-Exemplars-Written", value: "0")
        return r
    }

    static func wallClockMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

enum DispatchTimeNanos {
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
