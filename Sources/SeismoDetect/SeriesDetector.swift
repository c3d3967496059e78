/// One series' detector with its parameters: the convenient form for a single
/// stream (`seismo replay`, tests). Value type, O(1) memory (≤ 256 bytes,
/// asserted in a test).
///
/// Code that keeps many series (the watch pipeline) stores `BaselineState` or
/// `DetectorState` per series instead and passes one `PackedParameters` per rule
/// into each update: the parameters are the same for every series of a rule.
public struct SeriesDetector: Sendable {
    /// Shared, immutable parameters: one reference instead of 104 bytes per copy.
    @usableFromInline let parameters: SharedParameters
    @usableFromInline var state: DetectorState

    public init(kind: DetectorKind, isCounter: Bool, parameters: DetectorParameters = .default) {
        self.parameters = parameters == .default ? .default : SharedParameters(PackedParameters(parameters))
        state = DetectorState(kind: kind, isCounter: isCounter)
    }

    public var kind: DetectorKind { state.kind }
    public var isCounter: Bool { state.isCounter }

    /// Feeds the value of `second` (strictly increasing; gaps are missing seconds).
    /// Returns a score in [0, 1], or nil while warming up, for NaN/infinite
    /// values and for stale (not newer than the last accepted) seconds.
    @inlinable
    public mutating func update(second: Int64, value: Double) -> Double? {
        state.update(second: second, value: value, parameters: parameters.packed)
    }
}

/// `PackedParameters` behind a reference, so copies of a `SeriesDetector` share them.
@usableFromInline
final class SharedParameters: Sendable {
    @usableFromInline let packed: PackedParameters

    init(_ packed: PackedParameters) {
        self.packed = packed
    }

    static let `default` = SharedParameters(.default)
}
