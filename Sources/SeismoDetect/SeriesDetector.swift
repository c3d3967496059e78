/// Per-series online detector state: a value type with O(1) memory (≤ 256
/// bytes, asserted in a test) so millions of them can live in one array.
///
/// `update` does the input hygiene shared by both detectors — NaN and stale
/// samples are refused without touching state, counters are turned into
/// per-second rates with resets recognised — then hands the value to the
/// chosen scorer (`SeriesDetector+Baseline.swift`, `SeriesDetector+Adaptive.swift`).
public struct SeriesDetector: Sendable {
    public let kind: DetectorKind
    public let isCounter: Bool
    /// Adaptive: UTC midnights crossed so far (saturating); the daily profile
    /// is trusted once it reaches `seasonReadyDays`. Sits in the padding
    /// after the two flags, so it costs no bytes.
    @usableFromInline var seasonDays: UInt8 = 0
    /// DetectorParameters.seasonReadyDays; kept out of PackedParameters, where
    /// one byte would cost eight of padding.
    @usableFromInline let seasonReadyDays: UInt8
    @usableFromInline var p: PackedParameters

    /// Last accepted second; `.min` before the first sample.
    @usableFromInline var lastSecond: Int64 = .min
    /// Counters: previous raw counter value (rates need two samples).
    @usableFromInline var lastRaw: Double = .nan
    /// Samples scored so far (drives warm-up).
    @usableFromInline var count: Int32 = 0
    /// Adaptive: samples left in the refractory period after a firing.
    @usableFromInline var refractoryLeft: Int32 = 0

    // Level statistics (both detectors): EW mean and EW mean absolute deviation.
    @usableFromInline var mean: Double = 0
    @usableFromInline var deviation: Double = 0
    // Running range, used to floor the scale (flat lines must not explode).
    @usableFromInline var low: Double = 0
    @usableFromInline var high: Double = 0
    // Adaptive only.
    @usableFromInline var previous: Double = 0
    @usableFromInline var diffDeviation: Double = 0
    @usableFromInline var fastMean: Double = 0
    // Scores live in [0, 1] and their long-run moments change by at most
    // longAlpha per sample: Float is ample and frees room for the daily profile.
    @usableFromInline var shortScore: Float = 0
    @usableFromInline var longScoreMean: Float = 0
    @usableFromInline var longScoreVariance: Float = 0
    /// Adaptive: EW mean absolute residual against the daily profile.
    @usableFromInline var seasonDeviation: Float = 0
    /// Adaptive: hour-of-day profile (SeriesDetector+Season.swift).
    @usableFromInline var season = SeasonProfile()

    public init(kind: DetectorKind, isCounter: Bool, parameters: DetectorParameters = .default) {
        self.kind = kind
        self.isCounter = isCounter
        self.p = PackedParameters(parameters)
        self.seasonReadyDays = UInt8(clamping: parameters.seasonReadyDays)
    }

    /// Feeds the value of `second` (strictly increasing; gaps are missing seconds).
    /// Returns a score in [0, 1], or nil while warming up, for NaN/infinite
    /// values and for stale (not newer than the last accepted) seconds.
    @inlinable
    public mutating func update(second: Int64, value: Double) -> Double? {
        guard value.isFinite, second > lastSecond else { return nil }
        let previousSecond = lastSecond
        let gap = previousSecond == .min ? 0 : second &- previousSecond
        lastSecond = second
        var x = value
        if isCounter {
            let before = lastRaw
            lastRaw = value
            guard !before.isNaN else { return nil }  // first sample: no rate yet
            // A drop is a reset: the counter restarted from 0 somewhere in the
            // gap, so the increase since then is the new value itself.
            let increase = value >= before ? value - before : value
            x = increase / Double(gap)
        }
        switch kind {
        case .baseline: return baselineScore(x)
        case .adaptive: return adaptiveScore(x, second: second, previousSecond: previousSecond)
        }
    }
}

/// Parameters as Float32 plus precomputed constants: keeps the state under 256
/// bytes and saves a log() per update. Float precision is ample for rates and
/// thresholds.
@usableFromInline
struct PackedParameters: Sendable {
    @usableFromInline var baselineAlpha: Float
    @usableFromInline var baselineHalfZSquared: Float
    @usableFromInline var relativeScaleFloor: Float
    @usableFromInline var slowAlpha: Float
    @usableFromInline var diffAlpha: Float
    @usableFromInline var fastAlpha: Float
    @usableFromInline var diffWeight: Float
    @usableFromInline var shiftWeight: Float
    @usableFromInline var rawHalfZ: Float
    @usableFromInline var shortAlpha: Float
    @usableFromInline var longAlpha: Float
    @usableFromInline var inverseLogEpsilon: Float
    @usableFromInline var rangeFloor: Float
    @usableFromInline var fireLevel: Float
    @usableFromInline var levelFloor: Float
    @usableFromInline var extremeZ: Float
    @usableFromInline var minimumScoreVariance: Float
    @usableFromInline var refractoryFactor: Float
    @usableFromInline var seasonAlpha: Float
    @usableFromInline var seasonDeviationAlpha: Float
    @usableFromInline var seasonRatio: Float
    @usableFromInline var inverseSeasonStep: Float
    @usableFromInline var baselineWarmup: Int32
    @usableFromInline var adaptiveWarmup: Int32
    @usableFromInline var refractorySamples: Int32

    @usableFromInline
    init(_ q: DetectorParameters) {
        baselineAlpha = Float(q.baselineAlpha)
        baselineHalfZSquared = Float(q.baselineHalfScoreZ * q.baselineHalfScoreZ)
        relativeScaleFloor = Float(q.relativeScaleFloor)
        slowAlpha = Float(q.slowAlpha)
        diffAlpha = Float(q.diffAlpha)
        fastAlpha = Float(q.fastAlpha)
        diffWeight = Float(q.diffWeight)
        shiftWeight = Float(q.shiftWeight)
        rawHalfZ = Float(q.rawHalfZ)
        shortAlpha = Float(q.shortAlpha)
        longAlpha = Float(q.longAlpha)
        inverseLogEpsilon = Float(1 / DetectMath.log(q.likelihoodEpsilon))
        rangeFloor = Float(q.rangeFloor)
        fireLevel = Float(q.fireLevel)
        levelFloor = Float(q.levelFloor)
        extremeZ = Float(q.extremeZ)
        minimumScoreVariance = Float(q.minimumScoreVariance)
        refractoryFactor = Float(q.refractoryFactor)
        seasonAlpha = Float(q.seasonAlpha)
        seasonDeviationAlpha = Float(q.seasonDeviationAlpha)
        seasonRatio = Float(q.seasonRatio)
        inverseSeasonStep = Float(1 / max(q.seasonStepSeconds, 1))
        baselineWarmup = Int32(clamping: q.baselineWarmup)
        adaptiveWarmup = Int32(clamping: q.adaptiveWarmup)
        refractorySamples = Int32(clamping: q.refractorySamples)
    }
}
