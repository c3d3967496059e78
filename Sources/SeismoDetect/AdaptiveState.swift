/// Per-series state of the `adaptive` detector (`AdaptiveState+Score.swift`):
/// the baseline's hygiene and level statistics plus the adaptive-only features,
/// 152 bytes. Like `BaselineState` it holds no parameters.
public struct AdaptiveState: Sendable {
    /// Input hygiene, EW level mean/deviation, running range and sample count.
    @usableFromInline var core: BaselineState
    /// Samples left in the refractory period after a firing.
    @usableFromInline var refractoryLeft: Int32 = 0
    /// UTC midnights crossed so far (saturating); the daily profile is trusted
    /// once it reaches `seasonReadyDays`.
    @usableFromInline var seasonDays: UInt8 = 0
    @usableFromInline var previous: Double = 0
    @usableFromInline var diffDeviation: Double = 0
    @usableFromInline var fastMean: Double = 0
    // Scores live in [0, 1] and their long-run moments change by at most
    // longAlpha per sample: Float is ample and frees room for the daily profile.
    @usableFromInline var shortScore: Float = 0
    @usableFromInline var longScoreMean: Float = 0
    @usableFromInline var longScoreVariance: Float = 0
    /// EW mean absolute residual against the daily profile.
    @usableFromInline var seasonDeviation: Float = 0
    /// Hour-of-day profile (SeasonProfile.swift).
    @usableFromInline var season = SeasonProfile()

    public init(isCounter: Bool) {
        core = BaselineState(isCounter: isCounter)
    }

    public var isCounter: Bool { core.isCounter }

    /// Same contract as `BaselineState.update`.
    @inlinable
    public mutating func update(second: Int64, value: Double, parameters: PackedParameters) -> Double? {
        guard let x = core.accept(second: second, value: value) else { return nil }
        return score(x.value, second: second, previousSecond: x.previousSecond, parameters)
    }
}
