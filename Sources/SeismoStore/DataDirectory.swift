#if canImport(Glibc)
import Glibc
#endif

/// The data directory layout (see docs/storage-format.md):
///
///     DIR/LOCK                                  flock'ed by the running server
///     DIR/catalog/series.log                    series catalog (RecordLog)
///     DIR/wal/<8 digits>.wal                    write-ahead log files (RecordLog)
///     DIR/checkpoint                            "sealed_until <unix seconds>\n"
///     DIR/segments/<start>-<end>/cg-<k>.parquet sealed segments, [start, end) in unix seconds
///     DIR/head/<start>.pages                    head pages moved out of memory (SpillFile);
///                                               scratch, emptied at every start
struct DataDirectory {
    let root: String
    var catalogDirectory: String { root + "/catalog" }
    var catalogPath: String { catalogDirectory + "/series.log" }
    var walDirectory: String { root + "/wal" }
    var segmentsDirectory: String { root + "/segments" }
    var checkpointPath: String { root + "/checkpoint" }
    /// Unreadable bytes cut from the WAL or catalog at recovery, kept for inspection.
    var quarantineDirectory: String { root + "/quarantine" }
    var lockPath: String { root + "/LOCK" }
    var headSpillDirectory: String { root + "/head" }

    func createLayout() throws {
        for dir in [root, catalogDirectory, walDirectory, segmentsDirectory] { try FileIO.makeDirectory(dir) }
    }

    /// Takes an exclusive lock so two servers never share a data directory.
    func lock() throws -> Int32 {
        let fd = try FileIO.open(lockPath, flags: O_RDWR | O_CREAT)
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            throw StoreError.locked("\(lockPath) is held by another seismo process")
        }
        return fd
    }

    // MARK: segments

    struct SegmentName: Comparable {
        let start: Int64
        let end: Int64
        var directoryName: String { "\(pad(start))-\(pad(end))" }
        static func < (a: Self, b: Self) -> Bool { (a.start, a.end) < (b.start, b.end) }

        init(start: Int64, end: Int64) {
            self.start = start
            self.end = end
        }

        init?(directoryName name: String) {
            let parts = name.split(separator: "-")
            guard parts.count == 2, parts[0].count == 10, parts[1].count == 10,
                  let s = Int64(parts[0]), let e = Int64(parts[1]), s < e else { return nil }
            start = s
            end = e
        }
    }

    static func columnGroupFileName(_ group: Int) -> String { "cg-\(pad(Int64(group), width: 5)).parquet" }

    /// Committed segments, oldest first. Temporary directories (".tmp-…") are not listed.
    func listSegments() -> [SegmentName] {
        FileIO.listDirectory(segmentsDirectory).compactMap(SegmentName.init(directoryName:)).sorted()
    }

    func segmentPath(_ name: SegmentName) -> String { segmentsDirectory + "/" + name.directoryName }

    /// Deletes leftovers of a seal interrupted by a crash (never visible to readers).
    func removeTemporarySegments() -> [String] {
        var removed: [String] = []
        for name in FileIO.listDirectory(segmentsDirectory) where name.hasPrefix(".tmp-") {
            FileIO.removeTree(segmentsDirectory + "/" + name)
            removed.append(name)
        }
        return removed
    }

    // MARK: checkpoint

    func readCheckpoint() -> Int64? {
        guard let bytes = try? FileIO.readFile(checkpointPath) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] == "sealed_until", let v = Int64(parts[1]) { return v }
        }
        return nil
    }

    func writeCheckpoint(sealedUntil: Int64) throws {
        try FileIO.writeAtomically(Array("sealed_until \(sealedUntil)\n".utf8), to: checkpointPath, directory: root)
    }

    /// Everything below this second is in segments: the larger of the checkpoint and the
    /// newest segment end (a crash between segment rename and checkpoint leaves the
    /// segment as the authority).
    func sealedUntil() -> Int64 {
        max(readCheckpoint() ?? Int64.min, listSegments().last?.end ?? Int64.min)
    }
}

func pad(_ v: Int64, width: Int = 10) -> String {
    let s = String(v)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}
