/// One page of a head column in plain form: `rows` consecutive seconds, each an 8-byte
/// value and a 2-byte tag (millisecond within the second + 1; 0 = no sample).
///
/// Pages exist only where a series has samples, and only the page a series is writing
/// (plus pages reopened by late writes) stays in this form; the rest are encoded
/// (`PageCodec`). The dense page is most of what an active series costs in memory (the
/// frozen ones are spilled), so it is kept short: 16 seconds = 160 bytes. With 32-second
/// pages the cardinality benchmark measured 131 B more per series (dense page plus the
/// frozen pages waiting for the next spill) for ~2 % more CPU per sample; a frozen page
/// still spreads its fixed cost (first value, tag, record header: ~13 bytes) over 16.
struct DensePage {
    static let shift = 4
    static let rows = 1 << shift
    static let byteCount = rows * (MemoryLayout<UInt64>.size + MemoryLayout<UInt16>.size)

    let values: UnsafeMutablePointer<UInt64>
    let tags: UnsafeMutablePointer<UInt16>

    /// A zeroed page (every row absent).
    static func allocate() -> DensePage {
        // One allocation for both arrays: half the malloc overhead of two.
        let raw = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: MemoryLayout<UInt64>.alignment)
        let values = raw.bindMemory(to: UInt64.self, capacity: rows)
        let tags = (raw + rows * MemoryLayout<UInt64>.size).bindMemory(to: UInt16.self, capacity: rows)
        let page = DensePage(values: values, tags: tags)
        page.clear()
        return page
    }

    func clear() {
        values.update(repeating: 0, count: DensePage.rows)
        tags.update(repeating: 0, count: DensePage.rows)
    }

    func deallocate() {
        UnsafeMutableRawPointer(values).deallocate()
    }
}
