import XCTest
@testable import SeismoDetect

final class GroupScorerTests: XCTestCase {
    func testSingleMemberPassesThrough() {
        var g = GroupScorer(memberCount: 4)
        XCTAssertEqual(g.update(member: 0, second: 10, score: 0.7), 0.7, accuracy: 1e-12)
    }

    func testSeveralModerateScoresCountMoreThanOne() {
        var g = GroupScorer(memberCount: 4)
        _ = g.update(member: 0, second: 10, score: 0.7)
        let two = g.update(member: 1, second: 10, score: 0.7)
        let three = g.update(member: 2, second: 10, score: 0.7)
        XCTAssertEqual(two, 0.91, accuracy: 1e-9)
        XCTAssertEqual(three, 0.973, accuracy: 1e-9)
    }

    func testQuietMembersDoNotAccumulate() {
        var g = GroupScorer(memberCount: 100)
        var last = 0.0
        for m in 0..<100 { last = g.update(member: m, second: 1, score: 0.3) }
        XCTAssertEqual(last, 0)
    }

    func testOldScoresExpire() {
        var g = GroupScorer(memberCount: 2, maxAgeSeconds: 60)
        _ = g.update(member: 0, second: 0, score: 0.9)
        XCTAssertEqual(g.update(member: 1, second: 30, score: 0.6), 1 - 0.1 * 0.4, accuracy: 1e-12)
        XCTAssertEqual(g.update(member: 1, second: 61, score: 0.6), 0.6, accuracy: 1e-12)
    }

    func testScoreOfOneStaysFiniteAndNaNIsQuiet() {
        var g = GroupScorer(memberCount: 2)
        XCTAssertEqual(g.update(member: 0, second: 1, score: 1), 1, accuracy: 1e-9)
        XCTAssertEqual(g.update(member: 0, second: 2, score: .nan), 0)
    }

    func testMembersJoinAnEmptyGroup() {
        var g = GroupScorer()
        XCTAssertEqual(g.memberCount, 0)
        let a = g.addMember(), b = g.addMember()
        XCTAssertEqual([a, b], [0, 1])
        _ = g.update(member: a, second: 5, score: 0.8)
        XCTAssertEqual(g.update(member: b, second: 5, score: 0.5), 1 - 0.2 * 0.5, accuracy: 1e-12)
    }

    /// The running-sum scorer against the definition, evaluated by a full scan, on
    /// random updates: bursts, gaps longer than the window, late seconds, rescoring.
    func testRunningSumMatchesTheDefinition() {
        var rng = SplitMix(seed: 42)
        for trial in 0..<20 {
            let members = 1 + Int(rng.next() % 40)
            let maxAge = Int64(rng.next() % 8)
            var g = GroupScorer(memberCount: members, contributionFloor: 0.5, maxAgeSeconds: maxAge)
            var score = Array(repeating: 0.0, count: members)
            var at = Array(repeating: Int64.min, count: members)
            var newest = Int64.min
            var second: Int64 = 1000
            for step in 0..<3000 {
                switch rng.next() % 10 {
                case 0: second += Int64(rng.next() % 20)   // a gap, maybe beyond the window
                case 1, 2: second += 1
                default: break
                }
                let m = Int(rng.next() % UInt64(members))
                let late = rng.next() % 7 == 0 ? Int64(rng.next() % 12) : 0
                let t = second - late
                let s = Double(rng.next() % 1001) / 1000
                let got = g.update(member: m, second: t, score: s)
                score[m] = s; at[m] = t; newest = max(newest, t)
                var quiet = 1.0
                for i in 0..<members where score[i] >= 0.5 && at[i] != .min && newest - at[i] <= maxAge && at[i] <= newest {
                    quiet *= 1 - min(score[i], 1 - 1e-12)
                }
                XCTAssertEqual(got, 1 - quiet, accuracy: 1e-9, "trial \(trial) step \(step)")
            }
        }
    }
}

/// Small deterministic generator so the differential test is reproducible.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
