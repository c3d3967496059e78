import CSeismoMalloc
import Foundation
import SeismoModel

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
    /// (3 runs). With the trim threshold below, its wrk run takes as many minor page
    /// faults as with glibc's defaults (~12,000 against ~14,000). The cardinality
    /// benchmark gave 685–772 B per series at 1 MiB, 703–805 at 4 MiB.
    static let mmapThreshold: Int32 = 1 << 20

    /// Heap tops are given back by `free` only above this. glibc raises its own to twice
    /// the adaptive mmap threshold; a fixed mmap threshold leaves it at 128 KiB, and
    /// request buffers freed at the top of an arena were then given back and faulted in
    /// again (wrk run: ~19k minor faults instead of ~10k). Twice the mmap threshold, as
    /// glibc would; with 8 MiB the cardinality benchmark ended with up to 6 MB of free
    /// heap resident (the trimmer then watched a different signal). The trimmer below
    /// returns what stays free.
    static let trimThreshold: Int32 = 2 << 20

    /// Fixes the mmap and trim thresholds (which also stops glibc from adjusting them).
    /// Call before the store and the server allocate.
    static func configure() {
        _ = mallopt(M_MMAP_THRESHOLD, mmapThreshold)
        _ = mallopt(M_TRIM_THRESHOLD, trimThreshold)
    }

    /// How often the trimmer looks, and by how much the resident memory not in use must
    /// have grown since it last trimmed before it trims again.
    static let trimInterval: TimeInterval = 1
    static let trimAfterGrowth = 2 << 20

    /// Starts the trimmer thread, which runs for the life of the process.
    ///
    /// `malloc_trim` walks every arena's free chunks under that arena's lock and gives the
    /// pages wholly inside them back (`MADV_DONTNEED`); a page used again later costs a
    /// page fault. So it runs only when the resident bytes beyond what malloc has handed
    /// out (RSS − in-use heap − mmapped blocks: code, stacks and freed memory) grew by
    /// `trimAfterGrowth`, i.e. after a sweep, a burst of new series or a load that stopped,
    /// not on the steady churn of requests; and from its own thread, never under the
    /// store lock. Watching the drop of in-use bytes instead missed memory that was trimmed,
    /// used again by requests and freed again: up to 6 MB at 100k series.
    static func startTrimmer() {
        let thread = Thread {
            nameCurrentThread("seismo-heap-trim")
            var baseline = Int.max
            while true {
                Thread.sleep(forTimeInterval: trimInterval)
                guard let slack = residentNotInUse() else { return }
                if slack - min(baseline, slack) >= trimAfterGrowth {
                    _ = malloc_trim(0)
                    baseline = residentNotInUse() ?? slack
                } else {
                    baseline = min(baseline, slack)
                }
            }
        }
        thread.name = "seismo-heap-trim"
        thread.start()
    }

    /// Resident bytes minus the bytes malloc has handed out (heap and mmapped blocks); nil
    /// when /proc cannot be read (the trimmer then stops). Mmapped capacity not yet written
    /// counts as handed out but not resident, so this can be negative and rises as arrays
    /// fill: that only makes the trimmer run when there is little to give back.
    static func residentNotInUse() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        let info = mallinfo2()
        return pages * Int(sysconf(Int32(_SC_PAGESIZE))) - Int(info.uordblks) - Int(info.hblkhd)
    }
}
