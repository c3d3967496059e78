#if canImport(Glibc)
import Glibc
#endif

/// A read-only memory map of a spill file (`SpillFile`), for the seal.
///
/// The seal reads every column's chain of spilled blobs: one pread plus one buffer per
/// blob, ~60 blobs per series in an hour's segment when data time runs fast (the
/// ingest benchmark's final seal: ~500,000 preads for 8,000 series). The file is complete
/// by then (its segment is detached from the head, nothing appends to it), so one map
/// lets the seal decode the blobs where they lie. The pages are the ones the spill wrote
/// moments ago, still in the page cache: mapping them costs a fault per 4 KiB at most.
final class SpillMapping {
    let bytes: UnsafeRawBufferPointer

    /// Maps the first `length` bytes of `fd`; nil when the file is empty or the map fails
    /// (the caller then reads with pread, as before).
    init?(fd: Int32, length: UInt64) {
        guard length > 0, length <= UInt64(Int.max) else { return nil }
        // MAP_POPULATE: the seal reads every page, so the faults are taken in one go.
        let p = mmap(nil, Int(length), PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0)
        guard let p, p != MAP_FAILED else { return nil }
        bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(p), count: Int(length))
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
    }

    /// The `count` bytes at `offset`, when they lie inside the map.
    @inline(__always)
    func slice(at offset: UInt64, count: Int) -> UnsafeRawBufferPointer? {
        guard count >= 0, offset <= UInt64(bytes.count), UInt64(count) <= UInt64(bytes.count) - offset else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[Int(offset)..<(Int(offset) + count)])
    }
}
