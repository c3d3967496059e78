#if canImport(Glibc)
import Glibc
#endif
import SeismoModel

/// The write-ahead log: numbered files of `RecordLog` records in `DIR/wal/`.
///
/// Sample record payload:
///
///     0x01 { uvarint(series_id) i64le(timestamp_ms) u64le(value_bits) } …  (to the end of the payload)
///
/// A request is acknowledged only after the record holding its samples is fsynced.
/// Files are never rewritten; a file is deleted once every sample in it lies below
/// the sealed watermark (it is then fully contained in Parquet segments).
/// Not thread-safe: the store serialises access.
final class WriteAheadLog {
    static let sampleRecord: UInt8 = 1

    struct FileInfo {
        let index: Int
        let path: String
        /// Newest second of any sample in the file (Int64.min if none).
        var maxSecond: Int64
    }

    let directory: String
    let rotateBytes: Int
    private(set) var files: [FileInfo] = []
    private var fd: Int32 = -1
    private var currentSize = 0

    init(directory: String, rotateBytes: Int) {
        self.directory = directory
        self.rotateBytes = rotateBytes
    }

    static func fileName(_ index: Int) -> String { pad(Int64(index), width: 8) + ".wal" }

    static func listFiles(_ directory: String) -> [(index: Int, path: String)] {
        FileIO.listDirectory(directory).compactMap { name in
            guard name.hasSuffix(".wal"), let i = Int(name.dropLast(4)) else { return nil }
            return (i, directory + "/" + name)
        }.sorted { $0.index < $1.index }
    }

    struct ReplayProblem: CustomStringConvertible {
        let path: String
        let offset: Int
        let reason: String
        var description: String { "\(path) at offset \(offset): \(reason)" }
    }

    /// Reads every WAL file in order and calls `sample` for each sample. A bad record
    /// ends that file's replay: in the last file it is a torn tail and is cut off when
    /// `repair` is set; earlier it is corruption and is reported (the rest of the file is
    /// unreadable, later files still replay).
    func replay(repair: Bool, sample: (UInt32, Int64, UInt64) -> Void) throws -> [ReplayProblem] {
        var problems: [ReplayProblem] = []
        let list = Self.listFiles(directory)
        for (n, entry) in list.enumerated() {
            let bytes = try FileIO.readFile(entry.path)
            var maxSecond = Int64.min
            var malformedAt: Int?
            var consumed = 0
            let end = RecordLog.scan(bytes) { payload in
                var r = PayloadReader(payload)
                guard malformedAt == nil, r.u8() == Self.sampleRecord else {
                    malformedAt = malformedAt ?? consumed
                    return
                }
                while !r.isAtEnd {
                    guard let id = r.uvarint(), let ts = r.u64(), let bits = r.u64() else {
                        malformedAt = consumed
                        return
                    }
                    let t = Int64(bitPattern: ts)
                    maxSecond = max(maxSecond, floorDiv(t, 1000))
                    sample(UInt32(truncatingIfNeeded: id), t, bits)
                }
                consumed += RecordLog.headerSize + payload.count
            }
            if let at = malformedAt {
                problems.append(ReplayProblem(path: entry.path, offset: at, reason: "malformed sample record"))
            }
            if case .invalid(let offset, let reason) = end {
                let isLast = n == list.count - 1
                problems.append(ReplayProblem(
                    path: entry.path, offset: offset,
                    reason: isLast ? "torn tail (\(reason)), \(bytes.count - offset) bytes dropped" : "corrupt record (\(reason)); rest of file skipped"))
                if isLast && repair {
                    let wfd = try FileIO.open(entry.path, flags: O_WRONLY)
                    defer { Glibc.close(wfd) }
                    if ftruncate(wfd, off_t(offset)) != 0 {
                        throw FileIO.Failure(operation: "truncate", path: entry.path, errno: errno)
                    }
                    try FileIO.fsync(wfd, path: entry.path)
                }
            }
            files.append(FileInfo(index: entry.index, path: entry.path, maxSecond: maxSecond))
        }
        return problems
    }

    /// Starts a fresh file after the existing ones (never appends to a recovered file).
    func openNewFile() throws {
        if fd >= 0 {
            Glibc.close(fd)
            // If the open below fails (disk full), a stale number here would be closed
            // again later — by then possibly another file's or a socket's descriptor.
            fd = -1
        }
        let index = (files.last?.index ?? 0) + 1
        let path = directory + "/" + Self.fileName(index)
        fd = try FileIO.open(path, flags: O_WRONLY | O_CREAT | O_APPEND)
        currentSize = 0
        files.append(FileInfo(index: index, path: path, maxSecond: Int64.min))
        try FileIO.fsyncDirectory(directory)
    }

    /// Appends `bytes` (whole framed records) and fsyncs. On failure the file is cut
    /// back to its previous length so no partial record stays behind.
    func append(_ bytes: [UInt8], maxSecond: Int64) throws {
        if fd < 0 || currentSize >= rotateBytes { try openNewFile() }
        let path = files[files.count - 1].path
        do {
            try FileIO.writeAll(fd, bytes, path: path)
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

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    var totalBytes: Int64 { files.reduce(0) { $0 + (FileIO.fileSize($1.path) ?? 0) } }
}
