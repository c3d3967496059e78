/// The state of either detector, for callers that choose the kind at run time
/// (`SeriesDetector`, the pipeline's less common watches). Parameters are passed
/// into each update; the pipeline's common case stores a `BaselineState` directly.
public enum DetectorState: Sendable {
    case baseline(BaselineState)
    case adaptive(AdaptiveState)

    public init(kind: DetectorKind, isCounter: Bool) {
        switch kind {
        case .baseline: self = .baseline(BaselineState(isCounter: isCounter))
        case .adaptive: self = .adaptive(AdaptiveState(isCounter: isCounter))
        }
    }

    public var kind: DetectorKind {
        switch self {
        case .baseline: return .baseline
        case .adaptive: return .adaptive
        }
    }

    public var isCounter: Bool {
        switch self {
        case .baseline(let s): return s.isCounter
        case .adaptive(let s): return s.isCounter
        }
    }

    /// Same contract as `BaselineState.update`.
    @inlinable
    public mutating func update(second: Int64, value: Double, parameters: PackedParameters) -> Double? {
        switch self {
        case .baseline(var s):
            let score = s.update(second: second, value: value, parameters: parameters)
            self = .baseline(s)
            return score
        case .adaptive(var s):
            let score = s.update(second: second, value: value, parameters: parameters)
            self = .adaptive(s)
            return score
        }
    }
}
