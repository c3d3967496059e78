/// Tunables of both detectors. Time constants are in **samples**, not seconds:
/// a series scraped every 15 s and one sampled every second both need a few
/// hundred samples to learn their normal spread, and NAB (5-minute steps) is
/// tuned the same way. Missing seconds therefore stretch the clock instead of
/// being imputed; only counter rates divide by the real gap.
///
/// One parameter set is used for every series (NAB's reporting rule, and the
/// only thing that scales to thousands of series).
public struct DetectorParameters: Sendable, Equatable {
    // MARK: baseline

    /// Weight of the newest sample in the baseline's EW mean and EW mean
    /// absolute deviation (≈ 1 / memory in samples).
    public var baselineAlpha: Double
    /// Samples swallowed (score nil) before the baseline reports.
    public var baselineWarmup: Int
    /// z (in EW-MAD units) at which the baseline score is 0.5; the map is
    /// z² / (z² + halfScoreZ²), so a 3-MAD wiggle stays ≈ 0.2 and 20 MADs ≈ 0.92.
    public var baselineHalfScoreZ: Double
    /// Scale floor as a fraction of max(|mean|, observed range): a flat line has
    /// zero deviation, and without a floor its first tiny wiggle would be infinite z.
    public var relativeScaleFloor: Double

    // MARK: adaptive

    /// Slow EW mean / EW-MAD of the level (the "normal" the level is compared to).
    public var slowAlpha: Double
    /// EW-MAD of first differences (how jumpy the series normally is).
    public var diffAlpha: Double
    /// Fast EW mean; its distance from the slow mean catches sustained shifts
    /// that single samples do not.
    public var fastAlpha: Double
    /// Weights of the jump and shift features relative to the level feature.
    public var diffWeight: Double
    public var shiftWeight: Double
    /// Raw surprise z is mapped to z / (z + rawHalfZ) ∈ [0, 1).
    public var rawHalfZ: Double
    /// Short EW average of the raw score (recent unusualness).
    public var shortAlpha: Double
    /// Long EW mean/variance of the raw score (its usual distribution).
    public var longAlpha: Double
    /// Tail probability that maps to score 1 in the likelihood stage.
    public var likelihoodEpsilon: Double
    /// Scale floor as a fraction of the observed range (adaptive).
    public var rangeFloor: Double
    /// Scale floor as a fraction of |slow mean| (adaptive): a gauge stuck at 1000
    /// that jitters in the last digit is flat, not noisy.
    public var levelFloor: Double
    /// Floor of the long-run score variance, so a series whose raw score never
    /// moved does not turn the first flicker into an infinite z.
    public var minimumScoreVariance: Double
    /// Level z (in slow-MAD units) from which a point scores directly, bypassing
    /// the likelihood (0 disables).
    public var extremeZ: Double
    /// Samples with nil score at the start of a series.
    public var adaptiveWarmup: Int
    /// After a score ≥ fireLevel, the next `refractorySamples` scores are
    /// multiplied by `refractoryFactor`: one incident = one alert.
    public var fireLevel: Double
    public var refractorySamples: Int
    public var refractoryFactor: Double
    /// Daily profile (adaptive): weight a profile bin moves toward a new sample
    /// per `seasonStepSeconds` of elapsed time (capped at one step), so the
    /// profile remembers days, not samples, whatever the scrape interval.
    public var seasonAlpha: Double
    public var seasonStepSeconds: Double
    /// EW weight of the mean absolute residual against the profile.
    public var seasonDeviationAlpha: Double
    /// The profile replaces the slow mean in the level feature once the series
    /// has crossed `seasonReadyDays` UTC midnights and its residual deviation is
    /// below `seasonRatio` × the plain deviation (the cycle explains the spread).
    /// 0 disables the profile.
    public var seasonRatio: Double
    public var seasonReadyDays: Int

    public init(
        baselineAlpha: Double = 0.02, baselineWarmup: Int = 30, baselineHalfScoreZ: Double = 6,
        relativeScaleFloor: Double = 1e-3,
        slowAlpha: Double = 0.008, diffAlpha: Double = 0.1, fastAlpha: Double = 0.2,
        diffWeight: Double = 0.5, shiftWeight: Double = 1.0, rawHalfZ: Double = 8,
        shortAlpha: Double = 0.3, longAlpha: Double = 0.002, likelihoodEpsilon: Double = 1e-4,
        rangeFloor: Double = 0.005, levelFloor: Double = 1e-4, minimumScoreVariance: Double = 1e-6,
        extremeZ: Double = 15, adaptiveWarmup: Int = 50,
        fireLevel: Double = 0.5, refractorySamples: Int = 400, refractoryFactor: Double = 0,
        seasonAlpha: Double = 0.03, seasonStepSeconds: Double = 300, seasonDeviationAlpha: Double = 0.003,
        seasonRatio: Double = 0.7, seasonReadyDays: Int = 2
    ) {
        self.baselineAlpha = baselineAlpha
        self.baselineWarmup = baselineWarmup
        self.baselineHalfScoreZ = baselineHalfScoreZ
        self.relativeScaleFloor = relativeScaleFloor
        self.slowAlpha = slowAlpha
        self.diffAlpha = diffAlpha
        self.fastAlpha = fastAlpha
        self.diffWeight = diffWeight
        self.shiftWeight = shiftWeight
        self.rawHalfZ = rawHalfZ
        self.shortAlpha = shortAlpha
        self.longAlpha = longAlpha
        self.likelihoodEpsilon = likelihoodEpsilon
        self.rangeFloor = rangeFloor
        self.levelFloor = levelFloor
        self.minimumScoreVariance = minimumScoreVariance
        self.extremeZ = extremeZ
        self.adaptiveWarmup = adaptiveWarmup
        self.fireLevel = fireLevel
        self.refractorySamples = refractorySamples
        self.refractoryFactor = refractoryFactor
        self.seasonAlpha = seasonAlpha
        self.seasonStepSeconds = seasonStepSeconds
        self.seasonDeviationAlpha = seasonDeviationAlpha
        self.seasonRatio = seasonRatio
        self.seasonReadyDays = seasonReadyDays
    }

    /// The set tuned once on the shared NAB subset (see docs/detection.md).
    public static let `default` = DetectorParameters()
}
