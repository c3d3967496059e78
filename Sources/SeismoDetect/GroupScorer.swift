/// Combines the latest scores of the series in one group (for example every
/// series sharing `pod` and `container`) into one group score in [0, 1].
///
/// Why not the maximum: a memory leak moves RSS, page faults and GC time at
/// once, each only moderately; two or three moderate scores together are more
/// convincing than any one of them. Why not a plain noisy-OR over everyone: a
/// group of 50 quiet series with background scores around 0.2 would saturate.
///
/// Rule: members whose latest score is at least `contributionFloor` and no
/// older than `maxAgeSeconds` (relative to the newest second seen) contribute
/// with a noisy-OR, `1 - Π(1 - sᵢ)`; everybody else contributes nothing.
/// So one member at 0.7 gives 0.7, two give 0.91, three give 0.973.
///
/// Cost: O(members) per update (a scan); groups are expected to be small
/// (tens of series). Memory: two arrays of `memberCount` entries.
public struct GroupScorer: Sendable {
    public let contributionFloor: Double
    public let maxAgeSeconds: Int64
    private var scores: [Double]
    private var seconds: [Int64]
    private var newest: Int64 = .min

    /// - Parameters:
    ///   - memberCount: members are addressed as `0..<memberCount`.
    ///   - contributionFloor: scores below this are treated as quiet (0).
    ///   - maxAgeSeconds: a member's score expires this long after it was set.
    public init(memberCount: Int, contributionFloor: Double = 0.5, maxAgeSeconds: Int64 = 60) {
        precondition(memberCount > 0, "a group needs at least one member")
        self.contributionFloor = contributionFloor
        self.maxAgeSeconds = maxAgeSeconds
        scores = Array(repeating: 0, count: memberCount)
        seconds = Array(repeating: .min, count: memberCount)
    }

    public var memberCount: Int { scores.count }

    /// Adds a member (a series seen for the first time) and returns its index.
    public mutating func addMember() -> Int {
        scores.append(0)
        seconds.append(.min)
        return scores.count - 1
    }

    /// Records `score` for `member` at `second` and returns the group score now.
    /// Out-of-range scores are clamped to [0, 1]; NaN counts as 0.
    public mutating func update(member: Int, second: Int64, score: Double) -> Double {
        precondition(member >= 0 && member < scores.count, "member index out of range")
        scores[member] = score.isNaN ? 0 : min(max(score, 0), 1)
        seconds[member] = second
        if second > newest { newest = second }
        return current()
    }

    /// The group score at the newest second seen, without recording anything.
    public func current() -> Double {
        // Sum of -log(1 - s) is the noisy-OR in log space; clamping keeps a
        // score of exactly 1 from producing infinity.
        var logQuiet = 0.0
        for i in 0..<scores.count {
            let s = scores[i]
            guard s >= contributionFloor, newest &- seconds[i] <= maxAgeSeconds else { continue }
            logQuiet += DetectMath.log(1 - min(s, 1 - 1e-12))
        }
        return 1 - DetectMath.exp(logQuiet)
    }
}
