/// Decides where chunks begin exactly as Prometheus 2.42's head does when it appends
/// in-order float samples (tsdb/head_append.go `appendPreprocessor`), so that Seismo's
/// STREAMED_XOR_CHUNKS answers carry the very chunks Prometheus would have built:
///
/// - a chunk never crosses a chunk-range boundary (2 h by default, aligned to the epoch):
///   when a chunk starts at t, its latest end is the next multiple of the range;
/// - when the chunk holds a quarter of 120 samples, the end is re-estimated so that the
///   rest of the range splits into chunks of equal duration; the estimate uses the time of
///   the previous sample (the chunk's max time before this append);
/// - a chunk is also cut when it already holds 240 samples (rate went up).
///
/// For 1-second samples that gives chunks of ~117–120 samples, except near the end of a
/// range, where a chunk can grow up to the range boundary (Prometheus' behaviour too).
public enum PrometheusChunkCutter {
    public static let samplesPerChunk = 120
    public static let defaultChunkRangeMs: Int64 = 2 * 3600 * 1000

    /// The end (exclusive) of the chunk range holding `t`.
    public static func rangeEnd(_ t: Int64, rangeMs: Int64 = defaultChunkRangeMs) -> Int64 {
        floorDivide(t, rangeMs) * rangeMs + rangeMs
    }

    /// The start of the chunk range holding `t`.
    public static func rangeStart(_ t: Int64, rangeMs: Int64 = defaultChunkRangeMs) -> Int64 {
        floorDivide(t, rangeMs) * rangeMs
    }

    /// Index ranges of the chunks for strictly increasing `timestampsMs` appended from the
    /// series' first sample (or from any chunk-range boundary: chains restart there).
    public static func cut(_ timestampsMs: [Int64], rangeMs: Int64 = defaultChunkRangeMs) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        guard !timestampsMs.isEmpty else { return ranges }
        var start = 0
        var minTime = timestampsMs[0]
        var nextAt = rangeEnd(minTime, rangeMs: rangeMs)
        for i in 1..<timestampsMs.count {
            let t = timestampsMs[i]
            let n = i - start
            if n == samplesPerChunk / 4 {
                nextAt = chunkEndEstimate(start: minTime, current: timestampsMs[i - 1], max: nextAt)
            }
            if t >= nextAt || n >= samplesPerChunk * 2 {
                ranges.append(start..<i)
                start = i
                minTime = t
                nextAt = rangeEnd(t, rangeMs: rangeMs)
            }
        }
        ranges.append(start..<timestampsMs.count)
        return ranges
    }

    /// Prometheus' computeChunkEndTime: assuming the range so far is a quarter full, make
    /// the remaining chunks before `max` equally long.
    static func chunkEndEstimate(start: Int64, current: Int64, max: Int64) -> Int64 {
        let n = (max - start) / ((current - start + 1) * 4)
        if n <= 1 { return max }
        return start + (max - start) / n
    }

    static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
