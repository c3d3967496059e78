/// The state of either detector, for callers that choose the kind at run time
/// (`SeriesDetector`, the pipeline's watch lists). Parameters are passed into each
/// update; the pipeline's common case stores a `BaselineState` directly.
///
/// A struct with the kind beside an `AdaptiveState`, not an enum of the two: the
/// baseline runs on the adaptive state's embedded `BaselineState`, so both update
/// in place. With an enum each update copied the payload out and back in, which
/// made an update several times slower than the detector's own arithmetic.
public struct DetectorState: Sendable {
    /// The whole state for `.adaptive`; `.baseline` uses only its `core`.
    @usableFromInline var state: AdaptiveState
    public let kind: DetectorKind

    public init(kind: DetectorKind, isCounter: Bool) {
        self.kind = kind
        state = AdaptiveState(isCounter: isCounter)
    }

    public var isCounter: Bool { state.isCounter }

    /// The baseline detector's state, when this is one.
    public var baseline: BaselineState? { kind == .baseline ? state.core : nil }

    /// Same contract as `BaselineState.update`.
    @inlinable
    public mutating func update(second: Int64, value: Double, parameters: PackedParameters) -> Double? {
        switch kind {
        case .baseline: return state.core.update(second: second, value: value, parameters: parameters)
        case .adaptive: return state.update(second: second, value: value, parameters: parameters)
        }
    }
}
