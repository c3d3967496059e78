/// The streaming detectors Seismo ships, by the name rules and the CLI use.
public enum DetectorKind: String, CaseIterable, Sendable {
    /// Cheap robust baseline: exponentially weighted mean / absolute deviation z-score.
    case baseline
    /// The stronger detector, aimed at the Numenta Anomaly Benchmark.
    case adaptive
}
