/// Parameters as Float32 plus precomputed constants: saves a log() per update,
/// and Float precision is ample for rates and thresholds.
///
/// One value serves every series of a rule: it is passed into each update instead
/// of being stored per series, where it was 100 of the 248 bytes of state.
public struct PackedParameters: Sendable {
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
    /// DetectorParameters.seasonReadyDays, clamped to the width of `seasonDays`.
    @usableFromInline var seasonReadyDays: UInt8

    public init(_ q: DetectorParameters) {
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
        seasonReadyDays = UInt8(clamping: q.seasonReadyDays)
    }

    /// The packed form of `DetectorParameters.default`.
    public static let `default` = PackedParameters(.default)
}
