import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import SeismoModel
import SeismoRemoteRead
import SeismoStore
import SeismoWire

/// `POST /api/v1/read`: Prometheus remote read.
///
/// The request is decoded on the event loop (it is small); the store reads run on the
/// shared thread pool because they touch the disk. Answers SAMPLES (snappy
/// `ReadResponse`), the only type Prometheus ≤ 2.54 understands, unless the client
/// prefers a type listed earlier that Seismo implements.
final class ReadEndpoint: @unchecked Sendable {
    let store: Store
    let limits: WireLimits
    let logger: Logger
    /// Refuse answers larger than this many samples (Prometheus' own default is 5e7).
    let maxSamples: Int
    /// Where a read's time goes: finding and copying the samples vs encoding the answer.
    let selectDuration = Timer(label: "seismo_read_select_duration_seconds", preferredDisplayUnit: .seconds)
    let encodeDuration = Timer(label: "seismo_read_encode_duration_seconds", preferredDisplayUnit: .seconds)

    private let refusedTooLarge = Counter(label: "seismo_requests_refused_total", dimensions: [("limit", "read_samples")])

    private func tooLarge() -> Response {
        refusedTooLarge.increment()
        return .text(.badRequest, "read answer too large: more than \(maxSamples) samples (limits.max_read_samples); "
            + "narrow the time range or the matchers")
    }

    init(store: Store, limits: WireLimits, logger: Logger, maxSamples: Int = 50_000_000) {
        self.store = store
        self.limits = limits
        self.logger = logger
        self.maxSamples = maxSamples
    }

    private func samplesResponse(_ request: ReadRequest) throws -> Response {
        var results: [[SeriesSamples]] = []
        var total = 0
        for (i, q) in request.queries.enumerated() {
            let series: [SeriesSamples]
            let started = DispatchTimeNanos.now()
            do {
                series = try store.select(q.matchers, fromMs: q.startMs, toMs: q.endMs)
            } catch {
                return .text(.badRequest, "query \(i): \(error)")
            }
            selectDuration.recordNanoseconds(Int64(DispatchTimeNanos.now() - started))
            total += series.reduce(0) { $0 + $1.timestampsMs.count }
            if total > maxSamples {
                return tooLarge()
            }
            results.append(series)
        }
        let started = DispatchTimeNanos.now()
        let body = Snappy.compress(ReadRequestCodec.encodeSamplesResponse(results))
        encodeDuration.recordNanoseconds(Int64(DispatchTimeNanos.now() - started))
        return Response(status: .ok, headers: ["Content-Type": "application/x-protobuf", "Content-Encoding": "snappy"], body: body)
    }

    /// STREAMED_XOR_CHUNKS: per query, every matching series as the XOR chunks Prometheus'
    /// head would have cut from the same samples (see `PrometheusChunkCutter`). Like
    /// Prometheus, whole chunks overlapping the range are returned (clients trim), so the
    /// samples are read from the start of the chunk range holding the query start to the
    /// end of the range holding its end.
    private func streamedResponse(_ request: ReadRequest) throws -> Response {
        var body: [UInt8] = []
        var total = 0
        for (i, q) in request.queries.enumerated() {
            let series: [SeriesSamples]
            let started = DispatchTimeNanos.now()
            do {
                series = try store.select(q.matchers, fromMs: PrometheusChunkCutter.rangeStart(q.startMs),
                                          toMs: PrometheusChunkCutter.rangeEnd(q.endMs) - 1)
            } catch {
                return .text(.badRequest, "query \(i): \(error)")
            }
            let selected = DispatchTimeNanos.now()
            selectDuration.recordNanoseconds(Int64(selected - started))
            defer { encodeDuration.recordNanoseconds(Int64(DispatchTimeNanos.now() - selected)) }
            var chunked: [ChunkedReadSeries] = []
            for s in series {
                var chunks: [(minTimeMs: Int64, maxTimeMs: Int64, data: [UInt8])] = []
                for r in PrometheusChunkCutter.cut(s.timestampsMs) {
                    let minT = s.timestampsMs[r.lowerBound]
                    let maxT = s.timestampsMs[r.upperBound - 1]
                    guard maxT >= q.startMs && minT <= q.endMs else { continue }
                    var encoder = XORChunkEncoder()
                    for k in r { encoder.append(timestampMs: s.timestampsMs[k], valueBits: s.valueBits[k]) }
                    total += r.count
                    chunks.append((minT, maxT, encoder.bytes))
                }
                if !chunks.isEmpty { chunked.append((s.labels, chunks)) }
            }
            if total > maxSamples {
                return tooLarge()
            }
            for frame in ChunkedFrames.frames(series: chunked, queryIndex: Int64(i)) { body.append(contentsOf: frame) }
        }
        return Response(status: .ok,
                        headers: ["Content-Type": "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse"],
                        body: body)
    }

    func handle(head: HTTPRequestHead, body: ByteBuffer, eventLoop: any EventLoop, respond: @escaping (Response) -> Void) {
        let encoding = head.headers.first(name: "content-encoding")?.trimmingSpaces.lowercased() ?? ""
        guard encoding == "snappy" else {
            respond(.text(.unsupportedMediaType, "unsupported Content-Encoding \"\(encoding)\": remote-read requests must be snappy-compressed (Content-Encoding: snappy)"))
            return
        }
        let request: ReadRequest
        do {
            request = try body.withUnsafeReadableBytes { try ReadRequestCodec.decode(snappyBody: $0, limits: limits) }
        } catch let error as WireError {
            respond(.text(error.kind == .tooLarge ? .payloadTooLarge : .badRequest, error.message))
            return
        } catch {
            respond(.text(.badRequest, "cannot decode read request: \(error)"))
            return
        }
        // The first accepted type Seismo implements; none listed means SAMPLES (≤ 2.54 clients).
        let streamed = request.acceptedResponseTypes.first == .streamedXORChunks
        NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) { [self] () throws -> Response in
            streamed ? try self.streamedResponse(request) : try self.samplesResponse(request)
        }.whenComplete { [logger] result in
            switch result {
            case .success(let response): respond(response)
            case .failure(let error):
                logger.error("remote read failed", metadata: ["read.error": "\(error)"])
                respond(.text(.internalServerError, "remote read failed: \(error)"))
            }
        }
    }
}
