#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SeismoModel

/// Zero-fills the WAL file that comes next, on a thread of its own, before the log needs
/// it.
///
/// Why: an append that grows a file changes its size, so each fdatasync of the commit
/// thread must also write the inode (on ext4 a second device write, about half of the
/// fsync's time). In a file already zero-filled and synced to its full size, an append
/// only overwrites data blocks. Zeros must really be written: fallocate leaves
/// "unwritten" extents whose conversion on first write is again an inode update.
///
/// Crash safety: the spare has its final name from the start. A half-filled spare is a
/// WAL file holding only zeros, which replays as empty (see `parseFile`), and is deleted
/// like any file once sealed. The filler writes each chunk under `condition` after
/// checking that the file was not handed out, so once `take` has returned no zero byte
/// can land on a record.
final class WALSpare: @unchecked Sendable {
    /// Bytes zero-filled per file.
    let size: Int
    private static let chunk = 256 << 10
    /// Sync every this many bytes, then rest as long as the sync took: the commit
    /// thread's fsyncs share the disk, and one 64 MiB burst of writeback would queue
    /// them behind it for tens of milliseconds. So the filler takes about half of the
    /// disk's time at most, and less when the disk is slow.
    private static let syncEvery = 1 << 20

    private let condition = NSCondition()
    /// The file asked for (waiting or being filled).
    private var wanted: (index: Int, path: String)?
    /// A file filled and synced, not yet taken.
    private var ready: (index: Int, path: String)?
    private var stopped = false
    private var running = false
    private let finished = DispatchSemaphore(value: 0)

    init(size: Int) {
        self.size = size
    }

    /// Asks for file `index` to be zero-filled; replaces an earlier wish not yet taken
    /// (its file, if started, is left as a WAL file of zeros).
    func prepare(index: Int, path: String) {
        condition.lock()
        defer { condition.unlock() }
        guard !stopped else { return }
        wanted = (index, path)
        if !running {
            running = true
            let thread = Thread { [self] in
                nameCurrentThread("seismo-wal-spare")
                fillLoop()
                finished.signal()
            }
            thread.name = "seismo-wal-spare"
            thread.start()
        }
        condition.signal()
    }

    /// Whether file `index` is zero-filled and synced to `size`, and its directory entry
    /// synced. Either way the filler
    /// never touches it again once this returns.
    func take(index: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if ready?.index == index {
            ready = nil
            return true
        }
        if wanted?.index == index { wanted = nil }
        return false
    }

    /// The index of the spare filled and not yet taken (tests wait for it).
    var readyIndex: Int? {
        condition.lock()
        defer { condition.unlock() }
        return ready?.index
    }

    /// Stops the filler and returns the path of a spare file never taken (the caller
    /// deletes it: a cleanly stopped directory keeps no WAL).
    func stop() -> String? {
        condition.lock()
        stopped = true
        let unused = ready?.path ?? wanted?.path
        ready = nil
        wanted = nil
        let wait = running
        condition.broadcast()
        condition.unlock()
        if wait { finished.wait() }
        return unused
    }

    private func fillLoop() {
        let zeros = [UInt8](repeating: 0, count: Self.chunk)
        condition.lock()
        while true {
            while wanted == nil && !stopped { condition.wait() }
            guard let job = wanted, !stopped else { break }
            condition.unlock()
            let filled = zeros.withUnsafeBytes { fill(job, zeros: $0) }
            condition.lock()
            if wanted?.index == job.index {
                wanted = nil
                if filled { ready = job }
            }
        }
        condition.unlock()
    }

    /// Whether the job is still wanted (the caller holds `condition`).
    private func stillWanted(_ job: (index: Int, path: String)) -> Bool {
        !stopped && wanted?.index == job.index
    }

    /// Writes `size` zero bytes into the job's file, syncing as it goes. Returns false if
    /// the job was given up or an I/O error stopped it (then `take` answers false and the
    /// log truncates the file when it opens it).
    private func fill(_ job: (index: Int, path: String), zeros: UnsafeRawBufferPointer) -> Bool {
        condition.lock()
        guard stillWanted(job), let fd = try? FileIO.open(job.path, flags: O_WRONLY | O_CREAT) else {
            condition.unlock()
            return false
        }
        condition.unlock()
        defer { close(fd) }
        var offset = 0
        var unsynced = 0
        while offset < size {
            let n = min(Self.chunk, size - offset)
            condition.lock()
            guard stillWanted(job) else {
                condition.unlock()
                return false
            }
            let wrote = (try? FileIO.writeAll(fd, UnsafeRawBufferPointer(rebasing: zeros[0..<n]), at: offset, path: job.path)) != nil
            condition.unlock()
            offset += n
            unsynced += n
            // Outside the lock: a sync may take a while, and syncing a file already taken
            // is harmless.
            if wrote && (unsynced >= Self.syncEvery || offset == size) {
                unsynced = 0
                let started = DispatchTime.now().uptimeNanoseconds
                if fdatasync(fd) == 0 {
                    let took = DispatchTime.now().uptimeNanoseconds - started
                    if offset < size { usleep(UInt32(min(took / 1000, 100_000))) }
                    continue
                }
            } else if wrote {
                continue
            }
            // Disk full, most likely: give the space back to the file in use.
            condition.lock()
            if stillWanted(job) { _ = ftruncate(fd, 0) }
            condition.unlock()
            return false
        }
        // The new name must be durable too: then the log need not sync the directory
        // when it switches to this file (on the commit path).
        let directory = String(job.path[..<(job.path.lastIndex(of: "/") ?? job.path.startIndex)])
        return (try? FileIO.fsyncDirectory(directory.isEmpty ? "." : directory)) != nil
    }
}
