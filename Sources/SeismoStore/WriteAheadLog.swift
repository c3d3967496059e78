#if canImport(Glibc)
import Glibc
#endif
import SeismoModel

/// The write-ahead log: numbered files of `RecordLog` records in `DIR/wal/`.
///
/// Sample record payloads: see `WALSamples` (0x02, delta-coded ids and timestamps, is
/// written; 0x01 from older versions is still read).
///
/// A request is acknowledged only after the record holding its samples is fsynced.
/// Files are never rewritten; a file is deleted once every sample in it lies below
/// the sealed watermark (it is then fully contained in Parquet segments). Each file is
/// zero-filled to `rotateBytes` ahead of use (`WALSpare`), so records are written into
/// it at `currentSize` and its zero tail is its end.
/// Not thread-safe: the store serialises access.
final class WriteAheadLog {
    static let maxSpareBytes = 1 << 30

    struct FileInfo {
        let index: Int
        let path: String
        /// Newest second of any sample in the file (Int64.min if none).
        var maxSecond: Int64
        /// Bytes before the file's zero-filled end when it was replayed (nil for files
        /// started since).
        var loggedBytes: Int? = nil
    }

    let directory: String
    let rotateBytes: Int
    private(set) var files: [FileInfo] = []
    private var fd: Int32 = -1
    private var currentSize = 0
    /// The current file was zero-filled ahead (its appends do not grow it).
    private var currentFilled = false
    let spare: WALSpare

    init(directory: String, rotateBytes: Int) {
        self.directory = directory
        self.rotateBytes = rotateBytes
        // Bounded: a huge `wal_file_size` must not turn into gigabytes of zeros per file
        // (appends past the filled part grow the file, as without a spare).
        spare = WALSpare(size: min(rotateBytes, Self.maxSpareBytes))
    }

    static func fileName(_ index: Int) -> String { pad(Int64(index), width: 8) + ".wal" }

    static func listFiles(_ directory: String) -> [(index: Int, path: String)] {
        FileIO.listDirectory(directory).compactMap { name in
            guard isFileName(name), let i = Int(name.dropLast(4)) else { return nil }
            return (i, directory + "/" + name)
        }.sorted { $0.index < $1.index }
    }

    static func isFileName(_ name: String) -> Bool { name.hasSuffix(".wal") && Int(name.dropLast(4)) != nil }

    struct ReplayProblem: CustomStringConvertible {
        let path: String
        let offset: Int
        let reason: String
        /// An incomplete last record of the newest file (a crash mid-append), not damage.
        var tornTail = false
        /// Where the damaged bytes were copied (server start only).
        var quarantinedTo: String?
        var quarantineFailure: String?
        var description: String { "\(storageProblem)" }

        var storageProblem: StorageProblem {
            StorageProblem(tornTail ? .walTornTail : .walCorrupt, path: path, offset: Int64(offset),
                           reason + (quarantinedTo.map { "; damaged bytes kept in \($0)" } ?? "")
                               + (quarantineFailure.map { "; no copy could be kept, so the file is left uncut: \($0)" } ?? ""))
        }
    }

    /// Reads every WAL file in order and calls `sample` for each sample of its intact
    /// records (see `parseFile`); later files replay whatever an earlier one holds. With
    /// `quarantine` set (server start) damaged bytes are copied into that directory (all
    /// but a torn tail of the newest file) and a file whose replay stopped is cut there,
    /// so the problem is reported once (storage-format §9). A skipped record in the
    /// middle stays: cutting would lose the intact records after it; the file goes away
    /// as usual once its samples are sealed.
    func replay(quarantine: String? = nil, sample: (UInt32, Int64, UInt64) -> Void) throws -> [ReplayProblem] {
        var parsed: [(entry: (index: Int, path: String), parse: FileParse, bytes: [UInt8])] = []
        for entry in Self.listFiles(directory) {
            let bytes = try FileIO.readFile(entry.path)
            let parse = Self.parseFile(bytes, sample: sample)
            // Bytes are kept only where damage must be copied out.
            parsed.append((entry, parse, parse.damage.isEmpty ? [] : bytes))
        }
        // Appends only ever went to the newest file holding anything: files after it hold
        // only zeros (a spare being zero-filled at the crash, see `WALSpare`).
        let newest = parsed.lastIndex { $0.parse.samples > 0 || !$0.parse.damage.isEmpty }
        var problems: [ReplayProblem] = []
        for (n, file) in parsed.enumerated() {
            let (entry, parse, bytes) = file
            var keptAll = true
            for damage in parse.damage {
                let isStop = damage.start == parse.stoppedAt
                let torn = isStop && parse.tornTail && n == newest
                let size = damage.end - damage.start
                var problem = ReplayProblem(
                    path: entry.path, offset: damage.start,
                    reason: torn ? "torn tail (\(damage.reason)), \(size) bytes dropped"
                        : isStop ? "corrupt record (\(damage.reason)); the \(size) bytes from here to the end are not replayed"
                        : "corrupt record (\(damage.reason)); \(size) bytes skipped, the records after them replayed",
                    tornTail: torn)
                if let quarantine, !torn {
                    keptAll = keepCopy(&problem, Array(bytes[damage.start..<damage.end]), in: quarantine, index: entry.index) && keptAll
                }
                problems.append(problem)
            }
            if quarantine != nil, let stop = parse.stoppedAt, keptAll {
                let wfd = try FileIO.open(entry.path, flags: O_WRONLY)
                defer { Glibc.close(wfd) }
                if ftruncate(wfd, off_t(stop)) != 0 {
                    throw FileIO.Failure(operation: "truncate", path: entry.path, errno: errno)
                }
                try FileIO.fsync(wfd, path: entry.path)
            }
            files.append(FileInfo(index: entry.index, path: entry.path, maxSecond: parse.maxSecond, loggedBytes: parse.loggedBytes))
        }
        return problems
    }

    /// Copies bytes about to be cut into the quarantine directory. On failure (disk full,
    /// …) the file is left uncut: its bad part is skipped again at the next start, which
    /// is better than destroying the only copy.
    private func keepCopy(_ problem: inout ReplayProblem, _ bytes: [UInt8], in quarantine: String, index: Int) -> Bool {
        let copy = quarantine + "/" + Self.fileName(index) + ".at-\(problem.offset)"
        do {
            try FileIO.makeDirectory(quarantine)
            try FileIO.writeAtomically(bytes, to: copy, directory: quarantine)
            problem.quarantinedTo = copy
            return true
        } catch {
            problem.quarantineFailure = "\(error)"
            return false
        }
    }

    /// Starts a fresh file after the existing ones (never appends to a recovered file),
    /// the zero-filled spare if it is ready, and asks for the next spare.
    func openNewFile() throws {
        if fd >= 0 {
            Glibc.close(fd)
            // If the open below fails (disk full), a stale number here would be closed
            // again later — by then possibly another file's or a socket's descriptor.
            fd = -1
        }
        let index = (files.last?.index ?? 0) + 1
        let path = directory + "/" + Self.fileName(index)
        // A spare not ready may be half filled: cut it, so the file's size is its content.
        let filled = spare.take(index: index)
        fd = try FileIO.open(path, flags: O_WRONLY | O_CREAT | (filled ? 0 : O_TRUNC))
        currentSize = 0
        currentFilled = filled
        files.append(FileInfo(index: index, path: path, maxSecond: Int64.min))
        if !filled { try FileIO.fsyncDirectory(directory) }  // a filled spare's name is synced
        spare.prepare(index: index + 1, path: directory + "/" + Self.fileName(index + 1))
    }

    /// Appends `bytes` (whole framed records) and fsyncs. On failure the file is cut
    /// back to its previous length so no partial record stays behind.
    func append(_ bytes: [UInt8], maxSecond: Int64) throws {
        // A file that grows costs an inode write per fsync: move on to the spare as soon
        // as it is ready (the first file after a start has none).
        if fd < 0 || currentSize >= rotateBytes
            || (!currentFilled && spare.readyIndex == (files.last?.index ?? 0) + 1) {
            try openNewFile()
        }
        let path = files[files.count - 1].path
        do {
            try bytes.withUnsafeBytes { try FileIO.writeAll(fd, $0, at: currentSize, path: path) }
            try FileIO.fsync(fd, path: path)
        } catch {
            _ = ftruncate(fd, off_t(currentSize))
            throw error
        }
        currentSize += bytes.count
        files[files.count - 1].maxSecond = max(files[files.count - 1].maxSecond, maxSecond)
    }

    /// Closes the current file (if it has data) so it can be deleted once sealed.
    func rotateIfNotEmpty() throws {
        if fd >= 0 && currentSize > 0 { try openNewFile() }
    }

    /// Deletes closed files whose samples are all below `sealedUntil`. Returns their count.
    @discardableResult
    /// `pauseAfterFirst` is a test-only hook (see `FaultHooks`) and 0 in production.
    func deleteFiles(below sealedUntil: Int64, pauseAfterFirst: UInt32 = 0) -> Int {
        var deleted = 0
        let current = fd >= 0 ? files.last?.index : nil
        files.removeAll { f in
            guard f.index != current, f.maxSecond < sealedUntil else { return false }
            unlink(f.path)
            deleted += 1
            if deleted == 1 && pauseAfterFirst > 0 { usleep(pauseAfterFirst * 1000) }
            return true
        }
        if deleted > 0 { try? FileIO.fsyncDirectory(directory) }
        return deleted
    }

    /// Closes the current file and deletes a spare never used (it holds only zeros).
    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
        if let unused = spare.stop() {
            unlink(unused)
            try? FileIO.fsyncDirectory(directory)
        }
    }

    var totalBytes: Int64 { files.reduce(0) { $0 + (FileIO.fileSize($1.path) ?? 0) } }

    /// Bytes of records in the replayed files: `totalBytes` without the zero-filled space
    /// ahead of the appends (files started since the replay count whole).
    var loggedBytes: Int64 { files.reduce(0) { $0 + Int64($1.loggedBytes ?? Int(FileIO.fileSize($1.path) ?? 0)) } }
}
