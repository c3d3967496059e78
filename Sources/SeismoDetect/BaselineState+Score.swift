/// The `baseline` detector: robust EW z-score.
///
/// z = |x − m| / max(d, floor), where m is the EW mean and d the EW mean
/// absolute deviation *before* x is folded in (so a spike cannot hide itself),
/// and floor = relativeScaleFloor × max(|m|, observed range, 1e-9). The floor is
/// what keeps a flat line (d = 0) quiet: the first wiggle of a constant series
/// is scored against a small but finite scale instead of zero.
/// Score = z² / (z² + h²) (h = baselineHalfScoreZ): 0.5 at h MADs, → 1 for spikes.
/// The updates are Huber-clipped: a point moves m and d as if it were at most
/// `clip` scales away, so an anomaly (a memory ramp to an OOM kill) does not inflate
/// the scale and hide the next one, while a lasting level shift is still learnt
/// (d then grows by a few percent per sample until the new level is normal).
/// During the warm-up m and d are plain running averages, unclipped.
extension BaselineState {
    /// Huber clip of the baseline's updates, in scales.
    @usableFromInline static let baselineClip = 3.5
    /// Beyond this z a sample also learns at a quarter of the rate.
    @usableFromInline static let baselineSlowZ = 10.0

    // Always inlined into `update`: as a call it spilled and reloaded the caller's
    // registers around it once per sample.
    @inlinable @inline(__always)
    mutating func score(_ x: Double, _ p: PackedParameters) -> Double? {
        count &+= 1
        if count == 1 {
            mean = x; deviation = 0; low = x; high = x
            return nil
        }
        if x < low { low = x }
        if x > high { high = x }
        let floor = Double(p.relativeScaleFloor) * max(abs(mean), high - low, 1e-9)
        let z = abs(x - mean) / max(deviation, floor)
        if count <= p.baselineWarmup {
            // Warm-up: plain running averages, unclipped. Clipping against a scale that
            // has not been learnt yet (it starts at 0, so at the floor) would let it
            // grow only a few percent per sample, and a series that starts flat and then
            // wiggles normally would score ~1 for minutes after the warm-up.
            let delta = x - mean
            mean += delta / Double(count)
            deviation += (abs(delta) - deviation) / Double(count - 1)
            return nil
        }
        // A sample far beyond the clip (z > 10) also learns at a quarter of the rate. Clipping alone
        // was not enough for repeated anomalies: a 20 s ramp to an OOM kill moved the
        // mean up by 20 clipped steps, the displaced mean then kept every normal sample
        // after the kill "far away", and the scale ratcheted up cycle after cycle until
        // the third ramp went unseen. A lasting level shift is still learnt, in about
        // three minutes at one sample per second instead of one. Between the clip and
        // z = 10 the rate stays full: a restart that settles a little above the old
        // level (+14 % on a flat series, z ≈ 10) must stop scoring within seconds, not
        // hold the alert until the next incident.
        let alpha = Double(p.baselineAlpha) * (z > Self.baselineSlowZ ? 0.25 : 1)
        let limit = Self.baselineClip * max(deviation, floor)
        let delta = min(max(x - mean, -limit), limit)
        deviation += alpha * (abs(delta) - deviation)
        mean += alpha * delta
        let z2 = z * z
        return z2 / (z2 + Double(p.baselineHalfZSquared))
    }
}
