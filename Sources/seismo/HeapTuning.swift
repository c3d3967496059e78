import CSeismoMalloc
import Foundation

/// glibc malloc settings and a trimmer that hand the server's freed heap memory back to
/// the kernel.
///
/// What an active series costs is measured as resident memory, and glibc keeps much of
/// what the server frees resident. Two patterns, both seen with `malloc_info` after the
/// cardinality benchmark (100k series):
/// - Arrays indexed by series (the catalog's keys, the decoder caches, the head's
///   cursors, the detector's watch list) grow by copying. glibc's default mmap threshold
///   rises to the size of each mmapped block freed, up to 32 MiB, so after the first
///   copy the larger copies come from the heap and the freed ones stay there, resident.
///   A fixed threshold keeps large blocks in mmap: a freed one goes back to the kernel
///   at once, and capacity not yet written is never resident.
/// - Every head sweep (`Head.sweepSeconds`) frees each series' frozen pages after
///   spilling them: ~13 MB at 100k series, in runs of free chunks that stay resident
///   until reused. `malloc_trim` returns their whole pages.
enum HeapTuning {
    /// Blocks of this size or more are mmapped. Large enough that what is allocated per
    /// request (bodies of ~50 KB, NIO's buffers for them, decoded bodies, batches) stays
    /// on the heap: at 64 KiB the throughput benchmark ran at less ingest per CPU-second
    /// (3 runs). At 1 MiB its wrk run took ~5,500 more minor page faults than with glibc's
    /// adaptive threshold (~19,000 against ~13,500): a few ms of its ~4 CPU-seconds. The
    /// cardinality benchmark gave 685–772 B per series at 1 MiB, 703–805 at 4 MiB.
    static let mmapThreshold: Int32 = 1 << 20

    /// Heap tops are given back by `free` only above this. glibc raises its own to twice
    /// the adaptive mmap threshold; a fixed mmap threshold leaves it at 128 KiB, and every
    /// request's buffers freed at the top of an arena were then given back and faulted in
    /// again. The trimmer below returns what stays free.
    static let trimThreshold: Int32 = 8 << 20

    /// Fixes the mmap and trim thresholds (which also stops glibc from adjusting them).
    /// Call before the store and the server allocate.
    static func configure() {
        _ = mallopt(M_MMAP_THRESHOLD, mmapThreshold)
        _ = mallopt(M_TRIM_THRESHOLD, trimThreshold)
    }

    /// How often the trimmer looks, and how much must have been freed since its last trim
    /// (in-use bytes below their high-water mark) before it trims again.
    static let trimInterval: TimeInterval = 1
    static let trimAfterFreed = 4 << 20

    /// Starts the trimmer thread, which runs for the life of the process.
    ///
    /// `malloc_trim` walks every arena's free chunks under that arena's lock and gives the
    /// pages wholly inside them back (`MADV_DONTNEED`); a page used again later costs a
    /// page fault. So it runs only after a large drop in the bytes in use, i.e. after a
    /// sweep or a burst of new series, not on the steady churn of requests, and from its
    /// own thread, never under the store lock.
    static func startTrimmer() {
        let thread = Thread {
            var highWater = 0
            while true {
                Thread.sleep(forTimeInterval: trimInterval)
                let inUse = Int(mallinfo2().uordblks)
                highWater = max(highWater, inUse)
                if highWater - inUse >= trimAfterFreed {
                    _ = malloc_trim(0)
                    highWater = inUse
                }
            }
        }
        thread.name = "seismo-heap-trim"
        thread.start()
    }
}
