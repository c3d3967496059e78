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
        for i in 0..<7 { append(&pages, i) }
        let held = pages.count
        pages.release()
        #expect(pages.capacity == 0 && pages.count == 0)
        append(&pages, 7)
        #expect(pages.capacity == held + FrozenPages.headerBound)
        for i in 8..<14 { append(&pages, i) }
        #expect(pages.capacity == held + FrozenPages.headerBound)  // no growth: the seven fit
        var seen: [Int] = []
        pages.forEachRecord { index, _ in seen.append(index) }
        #expect(seen == Array(7..<14))
    }

    @Test func fewPagesBetweenSpillsAllocateExactly() {
        var pages = FrozenPages()
        defer { pages.release() }
        append(&pages, 0)
        append(&pages, 1)
        pages.release()
        append(&pages, 2)
        #expect(pages.capacity == FrozenPages.headerBound + record.count)  // one record, exactly as before
    }
}
