#if canImport(Glibc)
import Glibc
#endif
import SeismoModel

/// The persistent series catalog: label set → stable column id, plus metric metadata.
///
/// On disk it is `catalog/series.log`, an append-only record log (see `RecordLog`):
///
///     payload := 0x01 uvarint(id) key_bytes                        -- a new series
///              | 0x02 u8(kind) string(family) string(help) string(unit)  -- metadata
///     string  := uvarint(len) bytes
///
/// Ids are dense and assigned in order, so a series record is written before any WAL
/// record that refers to it (the commit thread flushes and fsyncs the catalog first).
final class SeriesCatalog {
    static let seriesRecord: UInt8 = 1
    static let metadataRecord: UInt8 = 2

    let path: String
    let index = SeriesIndex()
    private(set) var metadata: [String: MetricMetadata] = [:]
    /// Records not yet written to disk (flushed by the commit thread).
    var pending: [UInt8] = []

    init(path: String) {
        self.path = path
    }

    var seriesCount: Int { index.count }

    /// Loads the log. A bad record ends it: the valid prefix is loaded and a description
    /// of the rest is returned, for logging. With `quarantine` set (server start) the
    /// file is cut at the bad record so new series can be appended after the valid
    /// prefix; a bad part that is more than a torn tail is first copied there.
    func load(quarantine: String? = nil) throws -> StorageProblem? {
        guard FileIO.exists(path) else { return nil }
        let bytes = try FileIO.readFile(path)
        guard let bad = apply(bytes) else { return nil }
        var problem = StorageProblem(.catalog, path: path, offset: Int64(bad.offset),
                                     "\(bad.reason); \(bytes.count - bad.offset) bytes dropped, series after it are lost")
        guard let quarantine else { return problem }
        if !bad.tornTail {
            let copy = quarantine + "/series.log.at-\(bad.offset)"
            do {
                try FileIO.makeDirectory(quarantine)
                try FileIO.writeAtomically(Array(bytes[bad.offset...]), to: copy, directory: quarantine)
                problem.reason += "; kept in \(copy)"
            } catch {
                // Without a copy the file is not cut: the bad record is skipped again at
                // each start (and reported) instead of being destroyed.
                problem.reason += "; no copy could be kept (\(error)), file left uncut"
                return problem
            }
        }
        let fd = try FileIO.open(path, flags: O_WRONLY)
        defer { close(fd) }
        if ftruncate(fd, off_t(bad.offset)) != 0 {
            throw FileIO.Failure(operation: "truncate", path: path, errno: errno)
        }
        try FileIO.fsync(fd, path: path)
        return problem
    }

    /// Applies the records of a catalog file's bytes (no I/O; shared with the fuzzer).
    /// Returns where and why it stopped, or nil if every byte was a valid record.
    func apply(_ bytes: [UInt8]) -> (offset: Int, reason: String, tornTail: Bool)? {
        var consumed = 0
        var malformed: String?
        let end = RecordLog.scan(bytes) { payload in
            guard malformed == nil else { return }
            if let reason = applyRecord(payload) {
                malformed = reason
                return
            }
            consumed += RecordLog.headerSize + payload.count
        }
        if let malformed { return (consumed, malformed, false) }
        if case .invalid(let offset, let reason) = end { return (offset, reason, reason.hasPrefix("truncated")) }
        return nil
    }

    /// One record's effect; returns why it is malformed instead (then nothing changed).
    private func applyRecord(_ payload: UnsafeRawBufferPointer) -> String? {
        var r = PayloadReader(payload)
        switch r.u8() {
        case Self.seriesRecord?:
            guard let id = r.uvarint(), id == UInt64(index.count), let key = r.bytes(payload.count - r.offset)
            else { return "series record out of sequence" }
            index.insertNew(key)
        case Self.metadataRecord?:
            guard let kind = r.u8(), let family = r.string(), let help = r.string(), let unit = r.string()
            else { return "malformed metadata record" }
            metadata[family] = MetricMetadata(kind: MetricMetadata.Kind(rawValue: Int(kind)) ?? .unknown,
                                              family: family, help: help, unit: unit)
        default:
            return "unknown record type"
        }
        return nil
    }

    /// Id for a key; a new series gets the next id and a pending catalog record, unless
    /// the catalog already holds `limit` series (then nil).
    func resolve(_ key: UnsafeRawBufferPointer, limit: Int = .max) -> UInt32? {
        let hash = SeriesIndex.hash(key)
        if let id = index.lookup(key, hash: hash) { return id }
        if seriesCount >= limit { return nil }
        let id = index.insertNew(key, hash: hash)
        let start = RecordLog.begin(&pending)
        pending.append(Self.seriesRecord)
        appendUVarint(UInt64(id), to: &pending)
        pending.append(contentsOf: key)
        RecordLog.finish(&pending, recordStart: start)
        return id
    }

    /// Records metadata if it changed (Prometheus resends all of it every minute).
    func update(_ entry: MetricMetadata) {
        if metadata[entry.family] == entry { return }
        metadata[entry.family] = entry
        let start = RecordLog.begin(&pending)
        pending.append(Self.metadataRecord)
        pending.append(UInt8(entry.kind.rawValue))
        appendString(entry.family, to: &pending)
        appendString(entry.help, to: &pending)
        appendString(entry.unit, to: &pending)
        RecordLog.finish(&pending, recordStart: start)
    }

    /// Selector text of a series for a refusal message: from its key, or from its id
    /// when the batch named it by id only (`BatchSeries.seriesHint`).
    func describe(_ key: UnsafeRawBufferPointer, id: UInt32?) -> String {
        let text: String
        if key.isEmpty, let id {
            text = LabelKey.selector(labels(of: id))
        } else {
            text = LabelKey.selector(LabelKey.decode(Array(key)) ?? [])
        }
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }

    func labels(of id: UInt32) -> [(name: String, value: String)] {
        LabelKey.decode(index.key(of: id)) ?? []
    }
}
