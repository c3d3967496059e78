/// The `adaptive` detector: multi-feature surprise + anomaly likelihood +
/// refractory suppression. All O(1), no history buffers.
///
/// 1. Surprise. Three z-like features against statistics from *before* x:
///    - level: |x − slow mean| / slow EW-MAD  (outliers, level shifts);
///    - jump:  |x − previous| / EW-MAD of differences  (spikes, steps on noisy series);
///    - shift: |fast mean − slow mean| / slow EW-MAD  (sustained drifts: leaks).
///    Scales are floored at max(rangeFloor × observed range, levelFloor × |mean|)
///    so flat lines (and flat lines with rounding jitter) stay quiet.
///    raw = level + diffWeight·jump + shiftWeight·shift, mapped to
///    r = 1 − exp(−raw / rawHalfZ) in [0, 1).
/// 2. Likelihood. A series that is always jumpy has always-high r; what matters
///    is whether *recent* r is unusual for *this* series. Keep a short EW mean
///    of r and a long EW mean/variance of r; the tail probability
///    Q((short − longMean)/longStd) is turned into a score by
///    log(Q) / log(ε), clamped to [0, 1] (ε ↦ 1).
///    Extreme points (level ≥ extremeZ) score at least 1 − ½(extremeZ/level)²
///    directly: 0.5 at extremeZ, 0.875 at twice it.
/// 3. Refractory. After a score ≥ fireLevel the next refractorySamples scores
///    are multiplied by refractoryFactor: a clustered anomaly is one alert, not
///    fifty (NAB only credits the earliest detection in a window and charges
///    every extra one outside it).
extension SeriesDetector {
    @inlinable
    mutating func adaptiveScore(_ x: Double) -> Double? {
        count &+= 1
        if count == 1 {
            mean = x; fastMean = x; previous = x; low = x; high = x
            return nil
        }
        if x < low { low = x }
        if x > high { high = x }
        let floor = max(Double(p.rangeFloor) * (high - low), Double(p.levelFloor) * abs(mean), 1e-9)
        let levelScale = max(deviation, floor)
        let level = abs(x - mean) / levelScale
        let jump = abs(x - previous) / max(diffDeviation, floor)
        let shift = abs(fastMean - mean) / levelScale
        // A sum, not a max: features that agree weakly add up (tuned on NAB: +4.5 points).
        let raw = level + Double(p.diffWeight) * jump + Double(p.shiftWeight) * shift
        let r = 1 - DetectMath.exp(-raw / Double(p.rawHalfZ))

        // Learn after scoring: x never explains itself away.
        let slow = Double(p.slowAlpha)
        deviation += slow * (abs(x - mean) - deviation)
        mean += slow * (x - mean)
        diffDeviation += Double(p.diffAlpha) * (abs(x - previous) - diffDeviation)
        previous = x
        fastMean += Double(p.fastAlpha) * (x - fastMean)
        shortScore += Double(p.shortAlpha) * (r - shortScore)

        var score = 0.0
        if count > p.adaptiveWarmup {
            let std = max(longScoreVariance, Double(p.minimumScoreVariance)).squareRoot()
            let z = (shortScore - longScoreMean) / std
            // Only clearly *more* surprise than usual is evidence. z ≤ 1 would map
            // to at most log(Q(1))/log(ε) (0.2 for ε = 1e-4), far below fireLevel;
            // reporting 0 there keeps flat lines at exactly 0 and skips erfc+log
            // on most updates (the hot path is ~40 % cheaper).
            if z > 1 {
                let tail = DetectMath.normalTail(z)
                score = min(1, DetectMath.log(max(tail, 1e-300)) * Double(p.inverseLogEpsilon))
            }
        }
        // Extreme points bypass the likelihood: a 30-MAD spike on a quiet series
        // must score high at once, while the short average would only move by
        // shortAlpha of it. Below extremeZ the path is silent (NAB: neutral at 15).
        let extreme = Double(p.extremeZ)
        if extreme > 0, level >= extreme {
            let ratio = extreme / level
            score = max(score, 1 - 0.5 * ratio * ratio)
        }
        let a = Double(p.longAlpha)
        let d = r - longScoreMean
        longScoreMean += a * d
        longScoreVariance = (1 - a) * (longScoreVariance + a * d * d)

        // Warm-up scores are discarded *before* the refractory step: otherwise an
        // early "extreme" point (the MAD is still tiny) would start a refractory
        // period that swallows the first real event.
        guard count > p.adaptiveWarmup else { return nil }
        if refractoryLeft > 0 {
            refractoryLeft -= 1
            score *= Double(p.refractoryFactor)
        } else if score >= Double(p.fireLevel) {
            refractoryLeft = p.refractorySamples
        }
        return score
    }
}
