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
    private(set) var index = SeriesIndex()
    private(set) var metadata: [String: MetricMetadata] = [:]
    /// Records not yet written to disk (flushed by the commit thread).
    var pending: [UInt8] = []

    init(path: String) {
        self.path = path
    }

    var seriesCount: Int { index.count }

    /// Loads the log, cutting a torn tail. Returns a description of any cut, for logging.
    func load(truncateTornTail: Bool) throws -> String? {
        guard FileIO.exists(path) else { return nil }
        let bytes = try FileIO.readFile(path)
        var problem: String?
        let end = try RecordLog.scan(bytes) { payload in
            var r = PayloadReader(payload)
            switch r.u8() {
            case Self.seriesRecord?:
                guard let id = r.uvarint(), Int(id) == index.count,
                      let key = r.bytes(payload.count - r.offset)
                else { throw CatalogCorruption(reason: "series record out of sequence") }
                index.insertNew(key)
            case Self.metadataRecord?:
                guard let kind = r.u8(), let family = r.string(), let help = r.string(), let unit = r.string()
                else { throw CatalogCorruption(reason: "malformed metadata record") }
                metadata[family] = MetricMetadata(kind: MetricMetadata.Kind(rawValue: Int(kind)) ?? .unknown,
                                                  family: family, help: help, unit: unit)
            default:
                throw CatalogCorruption(reason: "unknown record type")
            }
        }
        if case .invalid(let offset, let reason) = end {
            problem = "\(path): \(reason) at offset \(offset); \(bytes.count - offset) bytes dropped"
            if truncateTornTail {
                let fd = try FileIO.open(path, flags: O_WRONLY)
                defer { close(fd) }
                if ftruncate(fd, off_t(offset)) != 0 {
                    throw FileIO.Failure(operation: "truncate", path: path, errno: errno)
                }
                try FileIO.fsync(fd, path: path)
            }
        }
        return problem
    }

    struct CatalogCorruption: Error { let reason: String }

    /// Id for a key; a new series gets the next id and a pending catalog record, unless
    /// the catalog already holds `limit` series (then nil).
    @inline(__always)
    func resolve(_ key: UnsafeRawBufferPointer, limit: Int = .max) -> UInt32? {
        if let id = index.lookup(key) { return id }
        if seriesCount >= limit { return nil }
        let id = index.insertNew(key)
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

    func labels(of id: UInt32) -> [(name: String, value: String)] {
        LabelKey.decode(index.key(of: id)) ?? []
    }
}
