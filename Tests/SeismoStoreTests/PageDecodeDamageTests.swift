import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import SeismoStore
import SeismoTestSupport

/// Encoded pages come back from the spill file and the segment buffer's disk, so they
/// may be damaged: the decoders (`decode`, `decodePair`, and the reference `forEachCell`
/// that reads use) must then neither trap nor read past the page's bytes, whatever the
/// bits say, and the fast ones write only the rows the damaged mask calls present. Each damaged page is placed so that its last byte is the last one
/// before an inaccessible memory page: a read past its end faults.
@Suite struct PageDecodeDamageTests {
    /// `count` bytes ending exactly at a PROT_NONE page, for the life of `body`.
    static func withGuardedBytes(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) -> Void) {
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let span = (bytes.count + pageSize - 1) / pageSize * pageSize + pageSize
        let map = mmap(nil, span + pageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)!
        #expect(map != MAP_FAILED)
        defer { munmap(map, span + pageSize) }
        let guardPage = map + span
        #expect(mprotect(guardPage, pageSize, PROT_NONE) == 0)
        let start = guardPage - bytes.count
        bytes.withUnsafeBytes { start.copyMemory(from: $0.baseAddress ?? UnsafeRawPointer(guardPage), byteCount: bytes.count) }
        body(UnsafeRawBufferPointer(start: start, count: bytes.count))
    }

    /// An encoded random page, then damaged: truncated, bit-flipped, or replaced by noise.
    static func damagedPage(_ rng: inout SplitMix) -> [UInt8] {
        let page = DensePage.allocate()
        let out = UnsafeMutablePointer<UInt8>.allocate(capacity: PageCodec.maxEncodedBytes)
        defer {
            page.deallocate()
            out.deallocate()
        }
        for r in 0..<DensePage.rows where Bool.random(using: &rng) {
            page.tags[r] = UInt16.random(in: 1...1000, using: &rng)
            page.values[r] = rng.next()
        }
        var bytes = Array(UnsafeBufferPointer(start: out, count: PageCodec.encode(page, rows: DensePage.rows, into: out)))
        switch Int.random(in: 0..<4, using: &rng) {
        case 0:
            bytes.removeLast(Int.random(in: 0...bytes.count, using: &rng))
        case 1:
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                guard !bytes.isEmpty else { break }
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
            }
        case 2:
            bytes = (0..<Int.random(in: 0...(PageCodec.maxEncodedBytes + 40), using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        default:
            // All ones: every row takes the longest path (new tag, new window, 64-bit residual).
            bytes = [0x00, 0x01] + [UInt8](repeating: 0xFF, count: Int.random(in: 0...(PageCodec.maxEncodedBytes + 40), using: &rng))
        }
        return bytes
    }

    /// Rows `decode` may write: those the page's (possibly damaged) mask calls present.
    static func presentRows(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { raw in
            var at = 0
            let absent = PageCodec.readUVarint(raw, at: &at)
            return at < raw.count ? ~absent & lowBits(DensePage.rows) : 0
        }
    }

    @Test func damagedPagesAreDecodedWithinTheirBytes() {
        var rng = SplitMix(state: 0x5EED_DA4A)
        let pages = (DensePage.allocate(), DensePage.allocate())
        defer {
            pages.0.deallocate()
            pages.1.deallocate()
        }
        func reset() {
            for p in [pages.0, pages.1] {
                p.tags.update(repeating: 0xBEEF, count: DensePage.rows)
                p.values.update(repeating: 0xDEAD_BEEF, count: DensePage.rows)
            }
        }
        func expectOnlyPresentRowsWritten(_ page: DensePage, _ present: UInt64) {
            for r in 0..<DensePage.rows where present & (1 << UInt64(r)) == 0 {
                #expect(page.tags[r] == 0xBEEF && page.values[r] == 0xDEAD_BEEF, "absent row \(r) written")
            }
        }
        for _ in 0..<2000 {
            let a = Self.damagedPage(&rng)
            let b = Self.damagedPage(&rng)
            Self.withGuardedBytes(a) { ra in
                Self.withGuardedBytes(b) { rb in
                    // The reference reads damaged pages too (queries), and the fast
                    // decoder still gives what it gives.
                    var expectedTags = [UInt16](repeating: 0xBEEF, count: DensePage.rows)
                    var expectedValues = [UInt64](repeating: 0xDEAD_BEEF, count: DensePage.rows)
                    PageCodec.forEachCell(ra, rows: DensePage.rows) { row, tag, value in
                        expectedTags[row] = tag
                        expectedValues[row] = value
                    }
                    reset()
                    PageCodec.decode(ra, rows: DensePage.rows, into: pages.0)
                    expectOnlyPresentRowsWritten(pages.0, Self.presentRows(a))
                    #expect(Array(UnsafeBufferPointer(start: pages.0.tags, count: DensePage.rows)) == expectedTags)
                    #expect(Array(UnsafeBufferPointer(start: pages.0.values, count: DensePage.rows)) == expectedValues)
                    reset()
                    PageCodec.decodePair(ra, into: pages.0, rb, into: pages.1)
                    expectOnlyPresentRowsWritten(pages.0, Self.presentRows(a))
                    expectOnlyPresentRowsWritten(pages.1, Self.presentRows(b))
                }
            }
        }
    }
}
