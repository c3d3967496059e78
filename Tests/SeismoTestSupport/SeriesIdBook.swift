import SeismoModel
import SeismoWire

/// Gives canonical keys dense, permanent ids the way a store does, for a decoder used
/// without a store (tests, the fuzzer, benchmarks): `learn` teaches the decoder the ids
/// of the batch it just filled, as `WriteEndpoint` does with the store's ids, and
/// `expand` turns the hinted series of a later batch back into keyed ones, so that batch
/// can be compared with one decoded without a cache.
public final class SeriesIdBook {
    public private(set) var keys: [[UInt8]] = []
    private var ids: [[UInt8]: UInt32] = [:]

    public init() {}

    /// The id of every series of `batch` (assigning new ones), handed to `decoder.learn`.
    public func learn(_ decoder: WriteRequestDecoder, _ batch: WriteBatch) {
        var out: [UInt32] = []
        out.reserveCapacity(batch.series.count)
        for s in batch.series {
            if s.seriesHint != BatchSeries.unresolved {
                out.append(s.seriesHint)
                continue
            }
            let key = Array(batch.labelBytes[Int(s.keyOffset)..<Int(s.keyOffset + s.keyLength)])
            if let id = ids[key] {
                out.append(id)
            } else {
                let id = UInt32(keys.count)
                keys.append(key)
                ids[key] = id
                out.append(id)
            }
        }
        out.withUnsafeBufferPointer { decoder.learn($0) }
    }

    /// `batch` with every hinted series given its key again, keys laid out in series
    /// order as a decoder without a cache lays them out.
    public func expand(_ batch: WriteBatch) -> WriteBatch {
        guard batch.series.contains(where: { $0.seriesHint != BatchSeries.unresolved }) else { return batch }
        var out = batch
        out.labelBytes = []
        out.series = []
        for s in batch.series {
            let key = s.seriesHint != BatchSeries.unresolved
                ? keys[Int(s.seriesHint)]
                : Array(batch.labelBytes[Int(s.keyOffset)..<Int(s.keyOffset + s.keyLength)])
            out.series.append(BatchSeries(keyOffset: Int32(out.labelBytes.count), keyLength: Int32(key.count),
                                          sampleOffset: s.sampleOffset, sampleCount: s.sampleCount))
            out.labelBytes.append(contentsOf: key)
        }
        return out
    }
}
