import SeismoModel

/// Parsing of one WAL file's bytes, with no I/O: replay, inspection, export snapshots and
/// the fuzzer (fuzz/Harness) all go through it, so they agree on what a file holds.
///
/// Recovery rule (storage-format §9): records replay in order. A damaged record (bad
/// checksum, or a payload that is not a sample record) is skipped when its header still
/// frames the next record, i.e. a valid record (or the end of the file) starts right
/// after it: with a checksum on every record, that is proof the length field was
/// intact, so only that record's samples are lost. Otherwise the file's replay stops
/// there; the rest of it is unreadable. A zero-filled tail after the last record is the
/// file's clean end (see `parseFile`).
extension WriteAheadLog {
    /// Bytes of a WAL file that were not replayed.
    struct Damage: Equatable {
        var start: Int
        var end: Int
        var reason: String
    }

    /// What a WAL file's bytes hold.
    struct FileParse: Equatable {
        /// Samples handed to the callback.
        var samples = 0
        /// Newest second of those samples (Int64.min if none).
        var maxSecond = Int64.min
        /// Damaged ranges in file order: skipped records, and last the unreadable rest
        /// of the file if replay stopped.
        var damage: [Damage] = []
        /// Where replay stopped (everything from here on is in the last `damage`), or nil
        /// if it reached the end of the file.
        var stoppedAt: Int?
        /// The stop is only an incomplete last record, or a damaged record followed by
        /// nothing but zeros: what a crash mid-append leaves (never acknowledged data).
        var tornTail = false
        /// Bytes before the clean zero-filled end (the whole file if it has none): what
        /// the log holds, as opposed to the space zero-filled ahead of the appends.
        var loggedBytes = 0
    }

    /// Calls `sample` for every sample of every intact record. A record is applied whole
    /// or not at all: its payload is checked completely before any sample is handed out.
    ///
    /// Zeros from a record boundary to the end of the file are the clean end of the log:
    /// files are zero-filled ahead of the appends (`WALSpare`), and no record starts with
    /// eight zero bytes (a sample payload is never empty, so its length is not 0). Zeros
    /// right after a damaged record are not a clean end: that is what an append cut short
    /// leaves in a zero-filled file, so the damage becomes a stop there.
    static func parseFile(_ bytes: [UInt8], sample: (UInt32, Int64, UInt64) -> Void) -> FileParse {
        var result = FileParse()
        result.loggedBytes = bytes.count
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let reason: String
                var skipTo: Int?
                if startsZeroRun(raw, at: offset) {
                    let end = zeroRunEnd(raw, from: offset)
                    let afterDamage = result.damage.last?.end == offset
                    if end == raw.count && !afterDamage {
                        result.loggedBytes = offset
                        return
                    }
                    // Zeros, then more bytes: no append leaves that; nothing after is trusted.
                    reason = end == raw.count ? "zero bytes after a damaged record" : "zero bytes followed by other data"
                    result.tornTail = end == raw.count
                } else {
                    switch RecordLog.read(raw, at: offset) {
                    case .valid(let payload, let next):
                        if let count = WALSamples.count(payload) {
                            emit(payload, count: count, into: &result, sample)
                            offset = next
                            continue
                        }
                        reason = "malformed sample record"
                        skipTo = next
                    case .invalid(let why, let next):
                        reason = why
                        skipTo = next
                    }
                    // The next record must be intact for the skip to be trusted; zeros there
                    // are judged at the top of the loop (a clean end would make this a stop).
                    if let next = skipTo, next < raw.count, !startsZeroRun(raw, at: next),
                       case .invalid = RecordLog.read(raw, at: next) {
                        skipTo = nil
                    }
                }
                let end = skipTo ?? raw.count
                if let last = result.damage.last, last.end == offset {
                    result.damage[result.damage.count - 1].end = end  // one problem per damaged run
                } else {
                    result.damage.append(Damage(start: offset, end: end, reason: reason))
                }
                guard let next = skipTo else {
                    // A run of skipped records ending in the stop is one unreadable tail.
                    result.stoppedAt = result.damage[result.damage.count - 1].start
                    result.tornTail = result.tornTail || reason.hasPrefix("truncated")
                    return
                }
                offset = next
            }
        }
        return result
    }

    private static func emit(_ payload: UnsafeRawBufferPointer, count: Int, into result: inout FileParse,
                             _ sample: (UInt32, Int64, UInt64) -> Void) {
        var maxSecond = result.maxSecond
        WALSamples.forEach(payload) { id, t, bits in
            maxSecond = max(maxSecond, floorDiv(t, 1000))
            sample(id, t, bits)
        }
        result.maxSecond = maxSecond
        result.samples += count
    }

    /// Whether a zero run starts at `offset`: eight zero bytes, or all the bytes left if
    /// fewer (a record header is eight bytes and never all zero).
    private static func startsZeroRun(_ raw: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        let end = min(raw.count, offset + RecordLog.headerSize)
        for i in offset..<end where raw[i] != 0 { return false }
        return true
    }

    /// The first non-zero byte at or after `offset`, or the end of the bytes. Checks eight
    /// bytes at a time: a zero-filled tail is tens of MiB read at every start.
    private static func zeroRunEnd(_ raw: UnsafeRawBufferPointer, from offset: Int) -> Int {
        var i = offset
        while i + 8 <= raw.count && raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) == 0 { i += 8 }
        while i < raw.count && raw[i] == 0 { i += 1 }
        return i
    }
}
