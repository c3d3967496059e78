/// The `adaptive` detector: multi-feature surprise + anomaly likelihood +
/// refractory suppression. All O(1), no history buffers.
///
/// 1. Surprise. Three z-like features against statistics from *before* x:
///    - level: |x − slow mean| / slow EW-MAD  (outliers, level shifts); on a
///      series with a daily cycle, |x − profile(hour)| / residual EW-MAD instead
///      (see below);
///    - jump:  |x − previous| / EW-MAD of differences  (spikes, steps on noisy series);
///    - shift: |fast mean − slow mean| / slow EW-MAD  (sustained drifts: leaks).
///    Scales are floored at max(rangeFloor × observed range, levelFloor × |mean|)
///    so flat lines (and flat lines with rounding jitter) stay quiet.
///    raw = level + diffWeight·jump + shiftWeight·shift, mapped to
///    r = 1 − exp(−raw / rawHalfZ) in [0, 1).
///    Daily cycle: an hour-of-day profile (SeriesDetector+Season.swift) learns
///    the usual value per UTC hour. Once two midnights have passed and the
///    residual deviation is below seasonRatio × the plain deviation (the cycle
///    explains a good part of the spread), the level feature is measured against
///    the profile. Series without a cycle keep the plain level feature: there the
///    profile is only a noisier copy of the mean.
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
extension AdaptiveState {
    @inlinable
    mutating func score(_ x: Double, second: Int64, previousSecond: Int64, _ p: PackedParameters) -> Double? {
        core.count &+= 1
        if core.count == 1 {
            core.mean = x; fastMean = x; previous = x; core.low = x; core.high = x
            return nil
        }
        if SeasonProfile.day(of: second) != SeasonProfile.day(of: previousSecond), seasonDays < .max {
            seasonDays &+= 1
        }
        if x < core.low { core.low = x }
        if x > core.high { core.high = x }
        let floor = max(Double(p.rangeFloor) * (core.high - core.low), Double(p.levelFloor) * abs(core.mean), 1e-9)
        let levelScale = max(core.deviation, floor)
        let level = abs(x - core.mean) / levelScale
        let bin = SeasonProfile.bin(of: second)
        let residual = x - (core.mean + Double(season.offset(bin)))
        let seasonScale = Double(seasonDeviation)
        var levelFeature = level
        if seasonDays >= p.seasonReadyDays, seasonScale < Double(p.seasonRatio) * core.deviation {
            levelFeature = abs(residual) / max(seasonScale, floor)
        }
        let jump = abs(x - previous) / max(diffDeviation, floor)
        let shift = abs(fastMean - core.mean) / levelScale
        // A sum, not a max: features that agree weakly add up (tuned on NAB: +4.5 points).
        let raw = levelFeature + Double(p.diffWeight) * jump + Double(p.shiftWeight) * shift
        let r = 1 - DetectMath.exp(-raw / Double(p.rawHalfZ))

        // Learn after scoring: x never explains itself away.
        let slow = Double(p.slowAlpha)
        core.deviation += slow * (abs(x - core.mean) - core.deviation)
        core.mean += slow * (x - core.mean)
        seasonDeviation += p.seasonDeviationAlpha * (Float(abs(residual)) - seasonDeviation)
        // Bins learn per elapsed time, not per sample: at a 15 s scrape a bin sees
        // 240 samples an hour, and per-sample learning would make it a recent mean.
        let stepWeight = min(1, Float(second &- previousSecond) * p.inverseSeasonStep)
        season.setOffset(bin, season.offset(bin) + p.seasonAlpha * stepWeight * Float(residual))
        diffDeviation += Double(p.diffAlpha) * (abs(x - previous) - diffDeviation)
        previous = x
        fastMean += Double(p.fastAlpha) * (x - fastMean)
        shortScore += p.shortAlpha * (Float(r) - shortScore)

        var score = 0.0
        if core.count > p.adaptiveWarmup {
            let std = Double(max(longScoreVariance, p.minimumScoreVariance)).squareRoot()
            let z = Double(shortScore - longScoreMean) / std
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
        let a = p.longAlpha
        let d = Float(r) - longScoreMean
        longScoreMean += a * d
        longScoreVariance = (1 - a) * (longScoreVariance + a * d * d)

        // Warm-up scores are discarded *before* the refractory step: otherwise an
        // early "extreme" point (the MAD is still tiny) would start a refractory
        // period that swallows the first real event.
        guard core.count > p.adaptiveWarmup else { return nil }
        if refractoryLeft > 0 {
            refractoryLeft -= 1
            score *= Double(p.refractoryFactor)
        } else if score >= Double(p.fireLevel) {
            refractoryLeft = p.refractorySamples
        }
        return score
    }
}
