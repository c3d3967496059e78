/// Per-series state of the `baseline` detector, and the input hygiene both
/// detectors share: 53 bytes, no parameters (the caller passes the rule's
/// `PackedParameters` into each update), so the pipeline can keep one inline
/// per watched series.
///
/// `update` refuses NaN and stale samples without touching state, turns
/// counters into per-second rates with resets recognised, then scores the
/// value (`BaselineState+Score.swift`). The adaptive detector embeds this
/// state for the same hygiene and its level statistics (`AdaptiveState`).
///
/// Fields are ordered widest first so that the two narrow ones share the last
/// word, and a container can put its own 32-bit fields in the tail padding.
public struct BaselineState: Sendable {
    /// Last accepted second; `.min` before the first sample.
    @usableFromInline var lastSecond: Int64 = .min
    /// Counters: previous raw counter value (rates need two samples).
    @usableFromInline var lastRaw: Double = .nan
    // Level statistics (both detectors): EW mean and EW mean absolute deviation.
    @usableFromInline var mean: Double = 0
    @usableFromInline var deviation: Double = 0
    // Running range, used to floor the scale (flat lines must not explode).
    @usableFromInline var low: Double = 0
    @usableFromInline var high: Double = 0
    /// Samples scored so far (drives warm-up).
    @usableFromInline var count: Int32 = 0
    public let isCounter: Bool

    public init(isCounter: Bool) {
        self.isCounter = isCounter
    }

    /// Feeds the value of `second` (strictly increasing; gaps are missing seconds).
    /// Returns a score in [0, 1], or nil while warming up, for NaN/infinite
    /// values and for stale (not newer than the last accepted) seconds.
    @inlinable @inline(__always)
    public mutating func update(second: Int64, value: Double, parameters: PackedParameters) -> Double? {
        guard let x = accept(second: second, value: value) else { return nil }
        return score(x.value, parameters)
    }

    /// Input hygiene: the value to score (a rate for counters) and the second
    /// accepted before this one, or nil when the sample must be skipped.
    @inlinable
    mutating func accept(second: Int64, value: Double) -> (value: Double, previousSecond: Int64)? {
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
            // At one sample a second the gap is 1, and x / 1 is x exactly: skipping the
            // division takes its latency off every counter update's dependency chain.
            x = gap == 1 ? increase : increase / Double(gap)
        }
        return (x, previousSecond)
    }
}
