#if canImport(Glibc)
import Glibc
#endif

/// A head segment's spill file: frozen pages moved out of memory, appended with pwrite
/// and read back with pread.
///
/// Nothing here is durable or needs to be: the WAL holds every sample until the segment
/// is sealed, so there is no fsync, and the file is deleted when its segment buffer goes
/// away (sealed, or the store closes) and at every start (`Store.init`). Each column's
/// blobs form a chain (every blob starts with the offset and length of the column's
/// previous one), so the column keeps only its newest blob's location in memory.
final class SpillFile {
    let path: String
    private let fd: Int32
    private(set) var end: UInt64 = 0

    init?(path: String) {
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        self.path = path
        self.fd = fd
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// Appends `count` bytes; returns their offset, or nil when the write failed (the
    /// caller keeps the pages in memory instead: a full disk costs memory, not data).
    func append(_ bytes: UnsafeRawPointer, count: Int) -> UInt64? {
        let at = end
        var done = 0
        while done < count {
            let n = pwrite(fd, bytes + done, count - done, off_t(at) + off_t(done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            done += n
        }
        end += UInt64(count)
        return at
    }

    /// Maps what the file holds now, for reading it whole (`SpillMapping`); nil when the
    /// file is empty or the map fails.
    func map() -> SpillMapping? {
        SpillMapping(fd: fd, length: end)
    }

    /// Reads `count` bytes at `offset`. The bytes were written by this process moments to
    /// minutes ago; failing to read them back means the file was tampered with or the disk
    /// failed, and answering without those pages would seal a segment with samples
    /// silently missing. Stopping instead lets recovery rebuild the head from the WAL.
    func read(at offset: UInt64, count: Int, into buffer: UnsafeMutableRawPointer) {
        var done = 0
        while done < count {
            let n = pread(fd, buffer + done, count - done, off_t(offset) + off_t(done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { fatalError("head spill file \(path): cannot read \(count) bytes at \(offset) (errno \(errno))") }
            done += n
        }
    }
}
