#if canImport(Glibc)
import Glibc
#endif

/// Test-only timing hooks for the fault tests, read once from the environment. Unset (the
/// production case) they are all 0 and change nothing.
///
/// A truncation of the WAL (unlinking files below the sealed watermark) takes
/// microseconds, too short for an outside `kill -9` to land in it on purpose; the kill
/// loop (scripts/kill-loop) sets SEISMO_TEST_TRUNCATION_PAUSE_MS so that the gap between
/// the first and the second unlink lasts long enough to kill the process inside it.
enum FaultHooks {
    static let truncationPause: UInt32 = {
        guard let raw = getenv("SEISMO_TEST_TRUNCATION_PAUSE_MS"), let ms = UInt32(String(cString: raw)) else { return 0 }
        return min(ms, 10_000)
    }()
}
