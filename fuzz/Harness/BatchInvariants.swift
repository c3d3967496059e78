import SeismoModel
import SeismoWire

/// Small limits, so inputs of a few hundred bytes can reach every limit check.
let fuzzLimits = WireLimits(maxCompressedBytes: 1 << 20, maxDecodedBytes: 1 << 20, maxSeriesPerRequest: 64,
                            maxLabelsPerSeries: 8, maxLabelNameBytes: 32, maxLabelValueBytes: 64)

/// One accepted series, as the store would receive it.
struct DecodedSeries: Equatable {
    var key: [UInt8]
    var timestamps: [Int64]
    var valueBits: [UInt64]
}

/// What every accepted series must satisfy, whichever decoder produced it: offsets
/// inside the flat arrays and contiguous, and a label set that obeys every rule and
/// limit the decoders enforce (so the store never sees a series they should have
/// refused). Returns the series for further comparison.
func checkBatch(_ batch: WriteBatch, limits: WireLimits) -> [DecodedSeries] {
    check(batch.timestamps.count == batch.valueBits.count, "timestamps/values count mismatch")
    check(batch.series.count <= limits.maxSeriesPerRequest, "more series than max_series_per_request")
    var nextSample = 0
    var out: [DecodedSeries] = []
    for s in batch.series {
        check(s.sampleCount > 0, "accepted series without samples")
        check(Int(s.sampleOffset) == nextSample, "sample ranges not contiguous")
        nextSample += Int(s.sampleCount)
        check(nextSample <= batch.timestamps.count, "sample range past the end")
        check(s.keyOffset >= 0 && s.keyLength > 0 && Int(s.keyOffset) + Int(s.keyLength) <= batch.labelBytes.count,
              "key range outside labelBytes")
        let key = Array(batch.labelBytes[Int(s.keyOffset)..<Int(s.keyOffset + s.keyLength)])
        checkLabelKey(key, limits: limits)
        let samples = Int(s.sampleOffset)..<nextSample
        out.append(DecodedSeries(key: key, timestamps: Array(batch.timestamps[samples]),
                                 valueBits: Array(batch.valueBits[samples])))
    }
    check(nextSample == batch.timestamps.count, "samples not owned by any series")
    return out
}

func checkLabelKey(_ key: [UInt8], limits: WireLimits) {
    guard let labels = LabelKey.decode(key) else { violated("accepted key does not decode") }
    check(!labels.isEmpty && labels.count <= limits.maxLabelsPerSeries, "label count \(labels.count) outside limits")
    // String(decoding:) repairs invalid UTF-8, so this also catches invalid UTF-8 accepted.
    check(LabelKey.encode(labels) == key, "key is not canonical (or not UTF-8)")
    var previous: [UInt8]?
    var sawName = false
    for (name, value) in labels {
        let n = Array(name.utf8), v = Array(value.utf8)
        check(n.count <= limits.maxLabelNameBytes && v.count <= limits.maxLabelValueBytes, "label beyond size limits")
        check(!v.isEmpty, "empty label value accepted")
        check(isLabelName(n), "invalid label name \(name.debugDescription) accepted")
        if let p = previous { check(p.lexicographicallyPrecedes(n), "labels not strictly sorted") }
        previous = n
        if name == "__name__" {
            sawName = true
            check(isMetricName(v), "invalid metric name \(value.debugDescription) accepted")
        }
    }
    check(sawName, "series without __name__ accepted")
}

private func isLabelName(_ b: [UInt8]) -> Bool {
    guard let first = b.first, first == 95 || (65...90).contains(first) || (97...122).contains(first) else { return false }
    return b.allSatisfy { $0 == 95 || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }
}

private func isMetricName(_ b: [UInt8]) -> Bool {
    guard let first = b.first, first != 58 ? isLabelName([first]) : true else { return false }
    return b.allSatisfy { $0 == 58 || $0 == 95 || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }
}
