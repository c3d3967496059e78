/// Hour-of-day profile for the adaptive detector, in 48 bytes.
///
/// Why: a daily cycle (traffic, batch jobs, temperature) makes the slow mean a
/// poor "normal": the cycle inflates the deviation, so a day whose peak is
/// missing or lower than usual stays within it (NAB's art_daily_jumpsdown,
/// art_daily_nojump, nyc_taxi holidays), while sharp daily edges look like
/// level shifts. Comparing a sample with the same hour on earlier days fixes both.
///
/// Layout: 24 bins, one per UTC hour. Each bin holds the profile's offset from
/// the slow mean, so a level shift carries the whole profile along instead of
/// waiting a day per hour to be relearnt. The bins are bfloat16 (the top half
/// of a Float32): a 24-bin Float32 profile would double the adaptive state, and
/// bfloat16 keeps Float32's exponent, so any unit (bytes/s or percent) fits.
/// Its 8-bit mantissa resolves an offset to 0.4 %, and an update smaller than
/// half of that is lost; with seasonAlpha 0.03 that means residuals below about
/// 6 % of the cycle amplitude do not move a bin, which is below the noise on
/// every NAB series with a cycle (tested in Python: no score change against
/// Float64 bins). It also needs no platform Float16 (absent on Intel macOS).
public struct SeasonProfile: Sendable {
    @usableFromInline static let bins = 24
    @usableFromInline var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)

    @inlinable init() {}

    /// Offset of bin `i` (0..<24) from the slow mean, in the series' units.
    @inlinable func offset(_ i: Int) -> Float {
        withUnsafeBytes(of: words) { raw in
            Float(bitPattern: UInt32(raw.load(fromByteOffset: 2 &* i, as: UInt16.self)) << 16)
        }
    }

    /// Stores `value` in bin `i`, rounded to nearest-even bfloat16 (truncating
    /// would bias every update toward zero and the profile would lag).
    @inlinable mutating func setOffset(_ i: Int, _ value: Float) {
        let bits = value.bitPattern
        let rounded = UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
        withUnsafeMutableBytes(of: &words) { raw in
            raw.storeBytes(of: rounded, toByteOffset: 2 &* i, as: UInt16.self)
        }
    }

    /// UTC hour of `second` (negative seconds wrap into the previous day).
    @inlinable static func bin(of second: Int64) -> Int {
        let ofDay = second % 86_400
        return Int((ofDay < 0 ? ofDay &+ 86_400 : ofDay) / 3_600)
    }

    /// UTC day number of `second`, rounding toward −∞.
    @inlinable static func day(of second: Int64) -> Int64 {
        second >= 0 ? second / 86_400 : (second &+ 1) / 86_400 &- 1
    }
}
