#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SeismoModel

/// `DIR/labels/intervals.log`: labelled time intervals posted to `/api/v1/labels`,
/// one record per interval in the record-log framing of the catalog and WAL
/// (storage-format §7). The payload is `0x01` + one UTF-8 JSON object; the store does
/// not interpret it (the export module owns the interval schema), it only makes
/// appends durable and reads back the valid prefix.
public final class IntervalLog: @unchecked Sendable {
    static let intervalRecord: UInt8 = 1
    public let path: String
    private let dir: String
    private let lock = NSLock()

    public init(dataDirectory: String) {
        dir = dataDirectory + "/labels"
        path = dir + "/intervals.log"
    }

    /// Appends the payloads and fsyncs before returning, so a 2xx answer means durable.
    /// A failed append may leave a torn record at the tail, which readers skip.
    public func append(_ jsonObjects: [[UInt8]]) throws {
        var bytes: [UInt8] = []
        for json in jsonObjects {
            let start = RecordLog.begin(&bytes)
            bytes.append(Self.intervalRecord)
            bytes.append(contentsOf: json)
            RecordLog.finish(&bytes, recordStart: start)
        }
        lock.lock()
        defer { lock.unlock() }
        try DurableAppend.append(bytes, path: path, directory: dir)
    }

    /// The JSON payloads of every valid record in order, and a description of an invalid
    /// tail (a torn append), if any. A missing file is an empty log.
    public func read() throws -> (payloads: [[UInt8]], problem: String?) {
        guard FileIO.exists(path) else { return ([], nil) }
        let bytes = try FileIO.readFile(path)
        var out: [[UInt8]] = []
        var unknown = 0
        let end = RecordLog.scan(bytes) { payload in
            guard payload.first == Self.intervalRecord else {
                unknown += 1
                return
            }
            out.append(Array(payload.dropFirst()))
        }
        var problem: String?
        if case .invalid(let offset, let reason) = end {
            problem = "\(path): \(reason) at offset \(offset); \(bytes.count - offset) bytes ignored"
        } else if unknown > 0 {
            problem = "\(path): \(unknown) records of an unknown type ignored"
        }
        return (out, problem)
    }
}
