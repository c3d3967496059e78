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
}
