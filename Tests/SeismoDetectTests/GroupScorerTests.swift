import XCTest
@testable import SeismoDetect
import SeismoTestSupport

final class GroupScorerTests: XCTestCase {
    /// The watch pipeline records member scores and reads the group score once per
    /// flush: that must be exactly what `update` returns, for both combinations.
    func testRecordThenGroupScoreEqualsUpdate() {
        for combination in GroupScorer.Combination.allCases {
            var a = GroupScorer(memberCount: 50, combination: combination)
            var b = a
            var rng = SplitMix(state: 2026_12_01)  // seeded: a failure names a step that reproduces
            var second: Int64 = 1_000
            for step in 0..<40_000 {
                if step % 97 == 0 { second += Int64.random(in: 1...3, using: &rng) }
                let late = Int64.random(in: 0...100, using: &rng) == 0 ? second - 70 : second
                let member = Int.random(in: 0..<50, using: &rng)
                let score = Double.random(in: 0...1, using: &rng) * (member < 5 ? 1 : 0.6)
                let expected = a.update(member: member, second: late, score: score)
                b.record(member: member, second: late, score: score)
                if step % 3 == 0 || step % 97 == 96 {
                    XCTAssertEqual(b.groupScore().bitPattern, expected.bitPattern, "\(combination) step \(step)")
                }
            }
            XCTAssertEqual(b.groupScore().bitPattern, a.groupScore().bitPattern)
        }
    }

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
        var rng = SplitMix(state: 42)
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
                let counted = (0..<members).filter { score[$0] >= 0.5 && at[$0] != .min && newest - at[$0] <= maxAge && at[$0] <= newest }.count
                XCTAssertEqual(g.anomalousMembers, counted, "trial \(trial) step \(step)")
            }
        }
    }
}

/// The `.count` combination, for groups of thousands (the built-in rule's instance groups).
final class GroupCountScorerTests: XCTestCase {
    /// A quiet node: 1000 members, each anomalous (0.95) 0.5 % of the seconds at random,
    /// as node_exporter's sporadic series are. The noisy-OR sits near 1; the count
    /// combination stays below a 0.99 rule for 30 s at a time, and mostly far below it.
    func testBackgroundAnomaliesInALargeGroupStayQuiet() {
        var rng = SplitMix(state: 7)
        var count = GroupScorer(memberCount: 1000, combination: .count)
        var noisy = GroupScorer(memberCount: 1000)
        var longestAbove = 0, run = 0, noisyHigh = 0, seconds = 0
        for t in Int64(0)..<1200 {
            var c = 0.0, n = 0.0
            for m in 0..<1000 {
                let s = rng.next() % 200 == 0 ? 0.95 : 0.1
                c = count.update(member: m, second: t, score: s)
                n = noisy.update(member: m, second: t, score: s)
            }
            guard t >= Int64(GroupScorer.countWarmupSeconds) else { continue }
            seconds += 1
            if n >= 0.99 { noisyHigh += 1 }
            run = c >= 0.99 ? run + 1 : 0
            longestAbove = max(longestAbove, run)
        }
        XCTAssertGreaterThan(Double(noisyHigh) / Double(seconds), 0.9, "the noisy-OR saturates on a large group")
        XCTAssertLessThan(longestAbove, 30, "count score stayed ≥ 0.99 for \(longestAbove) s")
    }

    func testManyMembersAtOnceScoreHigh() {
        var rng = SplitMix(state: 8)
        var g = GroupScorer(memberCount: 1000, combination: .count)
        var last = 0.0
        for t in Int64(0)..<600 {
            let incident = t >= 590
            for m in 0..<1000 {
                let s = (incident && m < 60) || rng.next() % 200 == 0 ? 0.95 : 0.1
                last = g.update(member: m, second: t, score: s)
            }
            if t == 589 { XCTAssertLessThan(last, 0.99) }
        }
        XCTAssertGreaterThan(last, 0.999, "60 of 1000 members anomalous at once")
    }

    func testOneMemberIsNewsInAGroupWhereNothingIsEverAnomalous() {
        var g = GroupScorer(memberCount: 6, combination: .count)
        for t in Int64(0)..<300 { for m in 0..<6 { _ = g.update(member: m, second: t, score: 0.05) } }
        XCTAssertGreaterThan(g.update(member: 0, second: 300, score: 0.97), 0.99)
    }

    func testNothingScoresDuringTheGroupWarmUp() {
        var g = GroupScorer(memberCount: 10, combination: .count)
        for t in Int64(0)..<Int64(GroupScorer.countWarmupSeconds) {
            for m in 0..<10 { XCTAssertEqual(g.update(member: m, second: t, score: t > 30 ? 0.99 : 0), 0) }
        }
    }
}
