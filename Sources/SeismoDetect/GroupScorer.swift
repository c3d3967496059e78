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
/// Cost: O(1) per update. The noisy-OR is kept as a running sum of
/// `log(1 - sᵢ)`, filed into one bucket per second of the age window, so that
/// expiry drops a whole second's contributions at once when time advances
/// (O(window) once per new second, not per update). The built-in rule groups
/// every series of an instance, which is thousands of members; a scan per
/// update would cost more than the detectors themselves.
/// Memory: 16 bytes per member plus 16 bytes per second of the window.
///
/// That is the `.noisyOr` combination; `.count` (see `Combination`) scores how
/// unusual the number of members at or above the floor is, for large groups.
public struct GroupScorer: Sendable {
    /// How member scores become the group score.
    public enum Combination: String, Sendable, CaseIterable {
        /// `1 - Π(1 - sᵢ)` over the members at or above the floor: for small groups
        /// of related series (a pod's memory, page faults, GC time), where any one
        /// clearly anomalous member is news.
        case noisyOr = "noisy_or"
        /// How unusual the *number* of members at or above the floor is, against this
        /// group's own history: for large groups (every series of an instance), where
        /// a few members are always anomalous somewhere and a noisy-OR would sit at 1.
        case count
    }

    public let combination: Combination
    public let contributionFloor: Double
    public let maxAgeSeconds: Int64
    /// Per member: its current `log(1 - s)` (0 when below the floor) and the second it
    /// was set, side by side so an update touches one cache line of member state.
    private struct Member {
        var contribution = 0.0
        var second = Int64.min
    }
    private var members: [Member] = []
    /// One second of the window: the sum of the contributions set in it, and how many
    /// of them are at or above the floor. Side by side in one array, so an update
    /// mutates one array of buckets (one uniqueness check) instead of two.
    private struct Bucket {
        var sum = 0.0
        var count: Int32 = 0
    }
    /// `buckets[t mod window]` covers second `t`, for the seconds in
    /// [newest - maxAgeSeconds, newest]; `total` and `count` are their sums.
    private var buckets: [Bucket]
    private var total = 0.0
    private var count = 0
    private var newest: Int64 = .min
    /// `bucket(newest)`, so buckets of seconds in the window need no division.
    private var newestBucket = 0
    /// `.count` only: the last count scored and its score. The score depends on the
    /// count and on what `learnCount` changes (once per second), while the count
    /// changes far less often than members update: this saves an erfc per update.
    private var scoredCount = -1
    private var scoredCountScore = 0.0
    /// `.count` only: the group's usual count and its spread, learnt once per second.
    private var usualCount = 0.0
    private var countSpread = 0.0
    private var secondsLearnt = 0

    /// Seconds of history the `.count` combination learns before it scores (members
    /// leave their own warm-up together at start-up, which must not look anomalous).
    public static let countWarmupSeconds = 120

    /// - Parameters:
    ///   - memberCount: members are addressed as `0..<memberCount`; more join with `addMember()`.
    ///   - contributionFloor: scores below this are treated as quiet (0).
    ///   - maxAgeSeconds: a member's score expires this long after it was set.
    ///   - combination: how member scores combine (see `Combination`).
    public init(memberCount: Int = 0, contributionFloor: Double = 0.5, maxAgeSeconds: Int64 = 60,
                combination: Combination = .noisyOr) {
        precondition(memberCount >= 0, "member count cannot be negative")
        precondition(maxAgeSeconds >= 0 && maxAgeSeconds < 86_400, "max age must be within a day")
        self.combination = combination
        self.contributionFloor = contributionFloor
        self.maxAgeSeconds = maxAgeSeconds
        members = Array(repeating: Member(), count: memberCount)
        buckets = Array(repeating: Bucket(), count: Int(maxAgeSeconds) + 1)
    }

    public var memberCount: Int { members.count }

    /// Adds a member (a series seen for the first time) and returns its index.
    public mutating func addMember() -> Int {
        members.append(Member())
        return members.count - 1
    }

    /// Records `score` for `member` at `second` and returns the group score now.
    /// Out-of-range scores are clamped to [0, 1]; NaN counts as 0.
    public mutating func update(member: Int, second: Int64, score: Double) -> Double {
        record(member: member, second: second, score: score)
        return groupScore()
    }

    /// The group score now: what the last `update` returned. For callers that record
    /// many member scores per group score they read (the watch pipeline reads one per
    /// group per second), so the combination is not evaluated per member score.
    public mutating func groupScore() -> Double {
        combination == .count ? cachedCountScore() : current()
    }

    /// `update` without computing the group score.
    public mutating func record(member: Int, second: Int64, score: Double) {
        precondition(member >= 0 && member < members.count, "member index out of range")
        if second > newest { advance(to: second) }
        // Take the member's previous score out, unless it has expired already (its
        // bucket may since have been cleared and reused).
        let previous = members[member].second
        let old = members[member].contribution
        let s = score.isNaN ? 0 : min(max(score, 0), 1)
        // Clamping keeps a score of exactly 1 from producing log(0) = -infinity.
        let c = s >= contributionFloor ? DetectMath.log(1 - min(s, 1 - 1e-12)) : 0
        let oldInWindow = inWindow(previous)
        // The common case, a quiet member staying quiet, changes nothing: it would
        // subtract and add +0.0, which leaves every sum as it is (no sum is ever -0.0:
        // they start at +0.0 and only take negative contributions, and x - x is +0.0),
        // and a member without a live contribution is never subtracted, whatever its
        // second (newest only grows, so an expired second stays expired). Not writing
        // the member also saves the array's uniqueness check.
        if c == 0 && (old == 0 || !oldInWindow) { return }
        members[member] = Member(contribution: c, second: second)
        let newInWindow = inWindow(second)
        if oldInWindow || newInWindow {
            // The same additions in the same order as before the buckets were merged.
            let oldBucket = oldInWindow ? windowBucket(previous) : 0
            let newBucket = newInWindow ? windowBucket(second) : 0
            buckets.withUnsafeMutableBufferPointer { b in
                if oldInWindow {
                    b[oldBucket].sum -= old
                    total -= old
                    if old < 0 {
                        b[oldBucket].count -= 1
                        count -= 1
                    }
                }
                if newInWindow {
                    b[newBucket].sum += c
                    total += c
                    if c < 0 {
                        b[newBucket].count += 1
                        count += 1
                    }
                }
            }
        }
    }

    /// The group score at the newest second seen, without recording anything.
    public func current() -> Double {
        switch combination {
        case .noisyOr:
            // Rounding in the running sum can leave a residue just above 0.
            return 1 - DetectMath.exp(min(total, 0))
        case .count:
            if count == scoredCount { return scoredCountScore }
            return countScore(count)
        }
    }

    /// Members at or above the floor now (fresh ones only).
    public var anomalousMembers: Int { count }

    /// `1 - 2·Q(z)` for `z = (k - usual) / spread`, 0 when k is not above the usual
    /// count: so z = 2.58 scores 0.99 and z = 3.3 scores 0.999. The spread is floored
    /// (√0.1) so that in a group where nothing is ever anomalous one member is news
    /// (0.9986) and two are more (≈ 1).
    private func countScore(_ k: Int) -> Double {
        guard secondsLearnt >= Self.countWarmupSeconds, k > 0 else { return 0 }
        let spread = DetectMath.sqrt(max(countSpread, usualCount, 0.1))
        let z = (Double(k) - usualCount) / spread
        return z <= 0 ? 0 : 1 - 2 * DetectMath.normalTail(z)
    }

    /// Learns the count of the second that just ended.
    ///
    /// After the warm-up the usual count moves up slowly (time constant 30 min) and
    /// down fast (2 min), so it tracks a low quantile: anomalies that recur every
    /// minute or so (an OOM loop) do not become "usual". The spread is the EW mean
    /// square distance from it (10 min), each term capped at 16 times the current
    /// spread so one burst cannot blow it up.
    private mutating func learnCount(_ k: Int) {
        let x = Double(k)
        secondsLearnt += 1
        if secondsLearnt <= Self.countWarmupSeconds {
            let n = Double(secondsLearnt)
            usualCount += (x - usualCount) / n
            countSpread += ((x - usualCount) * (x - usualCount) - countSpread) / n
            return
        }
        let d2 = min((x - usualCount) * (x - usualCount), 16 * max(countSpread, usualCount, 0.1))
        countSpread += (d2 - countSpread) / 600
        usualCount += (x - usualCount) / (x > usualCount ? 1800 : 120)
    }

    /// Scores `count` and remembers the result (see `scoredCount`).
    private mutating func cachedCountScore() -> Double {
        if count != scoredCount {
            scoredCount = count
            scoredCountScore = countScore(count)
        }
        return scoredCountScore
    }

    private func inWindow(_ t: Int64) -> Bool {
        t != .min && t <= newest && newest &- t <= maxAgeSeconds
    }

    private func bucket(_ t: Int64) -> Int {
        let w = Int64(buckets.count)
        return Int(((t % w) + w) % w)
    }

    /// `bucket(t)` for a second in the window (`inWindow(t)`), by subtraction:
    /// `newest - t` is at most `maxAgeSeconds`, less than the bucket count.
    private func windowBucket(_ t: Int64) -> Int {
        let b = newestBucket &- Int(truncatingIfNeeded: newest &- t)
        return b < 0 ? b &+ buckets.count : b
    }

    /// Moves the newest second forward, dropping the seconds that leave the window.
    private mutating func advance(to second: Int64) {
        if combination == .count && newest != .min { learnCount(count) }
        if newest == .min || second &- newest >= Int64(buckets.count) {
            for i in buckets.indices { buckets[i] = Bucket() }
        } else {
            var t = newest + 1
            while t <= second {
                buckets[bucket(t)] = Bucket()
                t += 1
            }
        }
        newest = second
        newestBucket = bucket(second)
        scoredCount = -1  // learnCount may have moved the usual count or its spread
        // Re-summing once per new second keeps rounding drift from accumulating.
        total = buckets.reduce(0) { $0 + $1.sum }
        count = buckets.reduce(0) { $0 + Int($1.count) }
    }
}
