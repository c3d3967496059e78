import Testing
@testable import SeismoStore

/// The size hint `FrozenPages.release` leaves for the next allocation: taken by a column
/// that froze several pages between two spills, not by one that froze one or two.
@Suite struct FrozenPagesTests {
    let record: [UInt8] = Array(repeating: 0xAB, count: 30)

    func append(_ pages: inout FrozenPages, _ index: Int) {
        record.withUnsafeBufferPointer { pages.append(index: index, $0.baseAddress!, count: $0.count) }
    }

    @Test func manyPagesBetweenSpillsAllocateOncePerSpill() {
        var pages = FrozenPages()
        defer { pages.release() }
        for i in 0..<FrozenPages.hintRecords { append(&pages, i) }
        let held = pages.count
        pages.release()
        #expect(pages.capacity == 0 && pages.count == 0)
        let n = FrozenPages.hintRecords
        append(&pages, n)
        #expect(pages.capacity == held + FrozenPages.headerBound)
        for i in (n + 1)..<(2 * n) { append(&pages, i) }
        #expect(pages.capacity == held + FrozenPages.headerBound)  // no growth: as many fit
        var seen: [Int] = []
        pages.forEachRecord { index, _ in seen.append(index) }
        #expect(seen == Array(n..<(2 * n)))
    }

    @Test func fewPagesBetweenSpillsAllocateExactly() {
        var pages = FrozenPages()
        defer { pages.release() }
        for i in 0..<(FrozenPages.hintRecords - 1) { append(&pages, i) }
        pages.release()
        append(&pages, 100)
        #expect(pages.capacity == FrozenPages.headerBound + record.count)  // one record, exactly as before
    }
}
