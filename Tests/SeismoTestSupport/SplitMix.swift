/// Deterministic pseudo-random numbers (SplitMix64) for tests: every run and platform
/// sees the same inputs, so a failure reproduces from its seed. One copy for every test
/// module (SystemRandomNumberGenerator would make failures unrepeatable).
public struct SplitMix: RandomNumberGenerator {
    public var state: UInt64

    public init(state: UInt64) {
        self.state = state
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1), 53 random bits.
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// Approximately standard normal (sum of 12 uniforms − 6): bounded tails (|z| ≤ 6)
    /// keep "quiet noise" genuinely quiet in assertions.
    public mutating func gaussian() -> Double {
        var s = 0.0
        for _ in 0..<12 { s += unit() }
        return s - 6
    }
}
