import SeismoModel
import SeismoStore
import SeismoTestSupport
import SeismoWire

// Input layout of the wire targets: byte 0 picks the path (even: the rest is a snappy
// HTTP body, odd: the rest is the uncompressed protobuf, which the fuzzer can mutate
// field by field); the rest is the body.

private var rw1Decoder = WriteRequestDecoder(limits: fuzzLimits)
/// Teaches the walker ids as the server does (the store's), so inputs that repeat a label
/// set take the hinted path; kept across inputs with the decoder, both replaced together
/// when the book grows large (its ids are only valid for the decoder it taught).
private var rw1Book = SeriesIdBook()
/// The protobuf-c decoder the walker replaced: the oracle of the differential check.
private let rw1Oracle = ProtobufCWriteRequestDecoder(limits: fuzzLimits)
private let rw2Decoder = WriteRequestV2Decoder(limits: fuzzLimits)

/// Everything a remote-write 1.0 decoder produces for one body, comparable with ==.
private enum RW1Result: Equatable {
    case refused(WireError.Kind, limit: String)
    case batch(labelBytes: [UInt8], series: [BatchSeries], timestamps: [Int64], valueBits: [UInt64],
               metadata: [MetricMetadata], rejections: [Int], examples: [String?], rejectedSeries: Int,
               exemplars: Int)

    init(_ decode: (inout WriteBatch) throws -> Void) {
        var batch = WriteBatch()
        do {
            try decode(&batch)
        } catch let error as WireError {
            check(batch.series.isEmpty && batch.timestamps.isEmpty && batch.labelBytes.isEmpty
                  && batch.metadata.isEmpty && batch.rejections.isEmpty && batch.exemplarsIgnored == 0,
                  "a refused request left data in the batch")
            self = .refused(error.kind, limit: error.limit)
            return
        } catch {
            violated("unexpected error type \(error)")
        }
        self = .batch(labelBytes: batch.labelBytes, series: batch.series, timestamps: batch.timestamps,
                      valueBits: batch.valueBits, metadata: batch.metadata, rejections: batch.rejections.counts,
                      examples: batch.rejections.examples, rejectedSeries: batch.rejections.series,
                      exemplars: batch.exemplarsIgnored)
    }
}

/// Remote-Write 1.0, differential: the walker (`WriteRequestDecoder`) and protobuf-c
/// (`ProtobufCWriteRequestDecoder`) must both refuse a body the same way or produce
/// identical batches — series, keys, samples, metadata, rejections with their example
/// texts. Then, on the walker's batch: structural invariants, deterministic decoding
/// with a reused decoder taught ids (the second pass names series by id), and accepted series
/// survive encode → decode unchanged.
func fuzzRemoteWrite1(_ input: UnsafeRawBufferPointer) {
    guard let mode = input.first else { return }
    let body = UnsafeRawBufferPointer(rebasing: input.dropFirst())
    if rw1Book.keys.count > 50_000 {
        rw1Decoder = WriteRequestDecoder(limits: fuzzLimits)
        rw1Book = SeriesIdBook()
    }
    /// Walker decode as the server runs it: decode, learn the ids, then (for comparison)
    /// the hinted series expanded back to their keys.
    func walk(_ body: UnsafeRawBufferPointer, snappy: Bool, into batch: inout WriteBatch) throws {
        if snappy { try rw1Decoder.decode(snappyBody: body, into: &batch) } else { try rw1Decoder.decode(protobuf: body, into: &batch) }
        rw1Book.learn(rw1Decoder, batch)
        batch = rw1Book.expand(batch)
    }
    let oracle = RW1Result { batch in
        if mode & 1 == 0 { try rw1Oracle.decode(snappyBody: body, into: &batch) } else { try rw1Oracle.decode(protobuf: body, into: &batch) }
    }
    func decode() -> WriteBatch? {
        var batch = WriteBatch()
        do {
            try walk(body, snappy: mode & 1 == 0, into: &batch)
        } catch is WireError {
            return nil
        } catch {
            violated("unexpected error type \(error)")
        }
        return batch
    }
    let walker = RW1Result { batch in try walk(body, snappy: mode & 1 == 0, into: &batch) }
    check(walker == oracle, "walker and protobuf-c disagree: \(walker) vs \(oracle)")
    guard let batch = decode() else { return }
    let series = checkBatch(batch, limits: fuzzLimits)
    guard let again = decode() else { violated("second decode of the same body failed") }
    check(checkBatch(again, limits: fuzzLimits) == series, "second decode differs")

    // protobuf-c drops -0.0 as the proto3 default; everything else must round-trip.
    let encoded = WriteRequestEncoder.encode(series: series.map { s in
        (LabelKey.decode(s.key)!, zip(s.timestamps, s.valueBits).map { ($0, Double(bitPattern: $1)) })
    })
    var back = WriteBatch()
    do { try encoded.withUnsafeBytes { try walk($0, snappy: true, into: &back) } } catch {
        violated("re-encoded accepted series refused: \(error)")
    }
    check(back.rejections.isEmpty, "re-encoded accepted series partly refused")
    let roundTrip = checkBatch(back, limits: fuzzLimits)
    let expected = series.map { s in
        DecodedSeries(key: s.key, timestamps: s.timestamps,
                      valueBits: s.valueBits.map { $0 == (-0.0 as Double).bitPattern ? 0 : $0 })
    }
    check(roundTrip == expected, "accepted series changed in an encode/decode round trip")
}

/// Remote-Write 2.0: structural invariants, determinism, and the sample accounting the
/// response headers rely on: every float and histogram sample is stored or refused.
func fuzzRemoteWrite2(_ input: UnsafeRawBufferPointer) {
    guard let mode = input.first else { return }
    let body = UnsafeRawBufferPointer(rebasing: input.dropFirst())
    func decode() -> (WriteBatch, V2Counts)? {
        var batch = WriteBatch()
        do {
            let counts = mode & 1 == 0 ? try rw2Decoder.decode(snappyBody: body, into: &batch)
                                       : try rw2Decoder.decode(protobuf: body, into: &batch)
            return (batch, counts)
        } catch is WireError {
            check(batch.series.isEmpty && batch.timestamps.isEmpty && batch.metadata.isEmpty,
                  "a refused request left data in the batch")
            return nil
        } catch {
            violated("unexpected error type \(error)")
        }
    }
    guard let (batch, counts) = decode() else { return }
    let series = checkBatch(batch, limits: fuzzLimits)
    check(batch.sampleCount + batch.rejections.total == counts.samples + counts.histograms,
          "stored \(batch.sampleCount) + refused \(batch.rejections.total) != received \(counts)")
    check(batch.exemplarsIgnored == counts.exemplars, "exemplar count mismatch")
    guard let (again, againCounts) = decode() else { violated("second decode of the same body failed") }
    check(againCounts == counts && checkBatch(again, limits: fuzzLimits) == series, "second decode differs")
}

/// ReadRequest: every query decoded has matchers and start <= end; the matchers compile
/// or are refused cleanly, and compiled ones evaluate.
func fuzzReadRequest(_ input: UnsafeRawBufferPointer) {
    guard let mode = input.first else { return }
    let body = UnsafeRawBufferPointer(rebasing: input.dropFirst())
    let request: ReadRequest
    do {
        request = mode & 1 == 0 ? try ReadRequestCodec.decode(snappyBody: body, limits: fuzzLimits)
                                : try ReadRequestCodec.decode(protobuf: body)
    } catch is WireError {
        return
    } catch {
        violated("unexpected error type \(error)")
    }
    let sample: [(name: String, value: String)] = [("__name__", "up"), ("job", "node"), ("instance", "a:9100")]
    for q in request.queries {
        check(!q.matchers.isEmpty, "query without matchers")
        check(q.startMs <= q.endMs, "query ends before it starts")
        // Short subjects keep a pathological regex from turning into a timeout.
        guard let filter = try? SeriesFilter(q.matchers) else { continue }
        _ = filter.matches(sample)
        _ = filter.matches([])
    }
}
