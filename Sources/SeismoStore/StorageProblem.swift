import SeismoParquet

/// Something wrong found in a data directory: a damaged or unexpected file. Found at
/// recovery (WAL replay, catalog load, the directory survey) and on reads (a segment
/// file that fails to decode); logged with its path and byte offset, counted in
/// `seismo_storage_problems_total{kind}` and listed by `seismo inspect`.
public struct StorageProblem: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, CaseIterable, Sendable {
        /// The newest WAL file ends in an incomplete record (a crash mid-append; the
        /// samples in it were never acknowledged).
        case walTornTail = "wal_torn_tail"
        /// A WAL record that fails its checksum or does not parse.
        case walCorrupt = "wal_corrupt"
        /// The series catalog ends in (or contains) an invalid record.
        case catalog
        /// A segment Parquet file that does not decode (truncated, zero-length, garbage).
        case segment
        /// The checkpoint file does not hold a watermark.
        case checkpoint
        /// A file the store does not know in one of its directories (left alone).
        case unknownFile = "unknown_file"
    }

    public var kind: Kind
    public var path: String
    /// Byte offset of the damage inside `path`, when known.
    public var offset: Int64?
    public var reason: String

    public init(_ kind: Kind, path: String, offset: Int64? = nil, _ reason: String) {
        self.kind = kind
        self.path = path
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        "\(path)" + (offset.map { " at offset \($0)" } ?? "") + ": \(reason)"
    }

    /// A segment file that could not be read; the offset comes from the Parquet reader.
    static func segment(_ path: String, _ error: Error) -> StorageProblem {
        if let e = error as? ParquetError { return StorageProblem(.segment, path: path, offset: e.offset, e.message) }
        return StorageProblem(.segment, path: path, "\(error)")
    }
}

extension DataDirectory {
    /// Entries of the data directory root the store or the server around it writes
    /// (`labels/`: stored intervals, `alerts/`: the alert event log).
    static let knownRootEntries: Set<String> = [
        "LOCK", "catalog", "wal", "segments", "checkpoint", "checkpoint.tmp", "labels", "alerts", "quarantine", "head",
    ]

    /// Walks the directory for unexpected entries and, with `openSegments`, segment files
    /// that do not open (a footer check: reads the tail of each file, not its data).
    /// Read-only.
    func survey(openSegments: Bool = true) -> [StorageProblem] {
        var problems: [StorageProblem] = []
        func unknown(_ path: String, _ what: String) {
            problems.append(StorageProblem(.unknownFile, path: path, "unexpected \(what); left alone"))
        }
        for name in FileIO.listDirectory(root) where !Self.knownRootEntries.contains(name) {
            unknown(root + "/" + name, "entry in the data directory")
        }
        for name in FileIO.listDirectory(catalogDirectory) where name != "series.log" && name != "series.log.tmp" {
            unknown(catalogDirectory + "/" + name, "file in the catalog directory")
        }
        for name in FileIO.listDirectory(walDirectory) where !WriteAheadLog.isFileName(name) {
            unknown(walDirectory + "/" + name, "file in the WAL directory (not NNNNNNNN.wal)")
        }
        if FileIO.exists(checkpointPath) && readCheckpoint() == nil {
            problems.append(StorageProblem(.checkpoint, path: checkpointPath, offset: 0, "no \"sealed_until <seconds>\" line; the newest segment's end is used"))
        }
        for name in FileIO.listDirectory(segmentsDirectory) {
            let path = segmentsDirectory + "/" + name
            guard SegmentName(directoryName: name) != nil, FileIO.isDirectory(path) else {
                // ".tmp-…" are seals or deletions in progress (removed at recovery).
                if !name.hasPrefix(".tmp-") { unknown(path, "entry in the segments directory") }
                continue
            }
            for file in FileIO.listDirectory(path) {
                let filePath = path + "/" + file
                guard file.hasSuffix(".parquet") else {
                    unknown(filePath, "file in a segment")
                    continue
                }
                guard openSegments else { continue }
                do { _ = try ParquetFileReader(path: filePath) } catch { problems.append(.segment(filePath, error)) }
            }
        }
        return problems
    }
}
