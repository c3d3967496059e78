import SeismoModel
import SeismoParquet

/// A read-only summary of a data directory, safe on a live one: sealed segments are
/// read from their Parquet footers, the unsealed head from the WAL (without repairing
/// anything, so a concurrently written tail is simply not counted yet).
public struct StoreInspection: Sendable {
    public var series = 0
    public var samples: Int64 = 0
    public var sealedSamples: Int64 = 0
    public var headSamples: Int64 = 0
    public var firstTimestampMs: Int64?
    public var lastTimestampMs: Int64?
    public var segments = 0
    public var segmentFiles = 0
    public var segmentBytes: Int64 = 0
    /// Bytes of WAL records; `walFileBytes` adds the space zero-filled ahead of appends.
    public var walBytes: Int64 = 0
    public var walFileBytes: Int64 = 0
    public var bytesOnDisk: Int64 = 0
    public var sealedUntilMs: Int64?
    public var problems: [String] = []

    public var bytesPerSample: Double { samples > 0 ? Double(bytesOnDisk) / Double(samples) : 0 }
    public var segmentBytesPerSample: Double { sealedSamples > 0 ? Double(segmentBytes) / Double(sealedSamples) : 0 }

    public static func inspect(dataDirectory: String) throws -> StoreInspection {
        let directory = DataDirectory(root: dataDirectory)
        guard FileIO.isDirectory(dataDirectory) else {
            throw StoreError.invalidConfig("\(dataDirectory) is not a directory")
        }
        var r = StoreInspection()
        let catalog = SeriesCatalog(path: directory.catalogPath)
        if let problem = try catalog.load() { r.problems.append("\(problem)") }
        // Segment files are opened below anyway (with the read error as the problem).
        r.problems += directory.survey(openSegments: false).map { "\($0)" }
        for name in FileIO.listDirectory(directory.quarantineDirectory) {
            let path = directory.quarantineDirectory + "/" + name
            r.problems.append("\(path): \(FileIO.fileSize(path) ?? 0) damaged bytes cut from the WAL or catalog at a start, kept for inspection")
        }
        r.series = catalog.seriesCount

        var first = Int64.max
        var last = Int64.min
        let segments = directory.listSegments()
        r.segments = segments.count
        for name in segments {
            let path = directory.segmentPath(name)
            for file in FileIO.listDirectory(path) where file.hasSuffix(".parquet") {
                do {
                    let reader = try ParquetFileReader(path: path + "/" + file)
                    r.segmentFiles += 1
                    r.segmentBytes += reader.fileSize
                    for (i, column) in reader.columns.enumerated() where i > 0 {
                        if let nulls = column.nullCount {
                            r.sealedSamples += column.valueCount - nulls
                        } else {
                            r.sealedSamples += Int64(try reader.readDoubleColumn(i).filter { $0 != nil }.count)
                        }
                    }
                    if reader.rowCount > 0 {
                        let ts = try reader.readInt64Column(0)
                        if let f = ts.first { first = min(first, f) }
                        if let l = ts.last { last = max(last, l) }
                    }
                } catch {
                    r.problems.append("\(StorageProblem.segment(path + "/" + file, error))")
                }
            }
        }

        let sealedUntil = directory.sealedUntil()
        if sealedUntil != Int64.min { r.sealedUntilMs = sealedUntil * 1000 }
        let wal = WriteAheadLog(directory: directory.walDirectory, rotateBytes: Int.max)
        var cells = Set<UInt64>()
        let known = UInt32(catalog.seriesCount)
        let problems = try wal.replay() { id, ts, _ in
            let second = floorDiv(ts, 1000)
            guard second >= sealedUntil, id < known else { return }
            if cells.insert(UInt64(id) << 32 | UInt64(UInt32(truncatingIfNeeded: second))).inserted {
                first = min(first, second * 1000)
                last = max(last, second * 1000)
            }
        }
        // A torn tail on a live directory is normally a write in progress, not damage.
        r.problems.append(contentsOf: problems.map { "\($0)" })
        r.headSamples = Int64(cells.count)
        r.walBytes = wal.loggedBytes
        r.walFileBytes = wal.totalBytes
        r.samples = r.sealedSamples + r.headSamples
        if first != Int64.max { r.firstTimestampMs = first }
        if last != Int64.min { r.lastTimestampMs = last }
        r.bytesOnDisk = FileIO.treeSize(dataDirectory)
        return r
    }

    /// One JSON object, keys in a fixed order.
    public var json: String {
        func num(_ v: Int64?) -> String { v.map(String.init) ?? "null" }
        func dbl(_ v: Double) -> String { String(format3(v)) }
        let problemsJSON = "[" + problems.map { Store.jsonString($0) }.joined(separator: ",") + "]"
        return """
        {"series":\(series),"samples":\(samples),"first_timestamp_ms":\(num(firstTimestampMs)),\
        "last_timestamp_ms":\(num(lastTimestampMs)),"segments":\(segments),"bytes_on_disk":\(bytesOnDisk),\
        "bytes_per_sample":\(dbl(bytesPerSample)),"sealed_samples":\(sealedSamples),"head_samples":\(headSamples),\
        "segment_files":\(segmentFiles),"segment_bytes":\(segmentBytes),"segment_bytes_per_sample":\(dbl(segmentBytesPerSample)),\
        "wal_bytes":\(walBytes),"wal_file_bytes":\(walFileBytes),"sealed_until_ms":\(num(sealedUntilMs)),"problems":\(problemsJSON)}
        """
    }
}

/// Three decimals without Foundation formatting.
func format3(_ v: Double) -> String {
    let scaled = (v * 1000).rounded()
    let whole = Int64(scaled) / 1000
    let frac = abs(Int64(scaled) % 1000)
    let f = String(frac)
    return "\(whole).\(String(repeating: "0", count: 3 - f.count))\(f)"
}
