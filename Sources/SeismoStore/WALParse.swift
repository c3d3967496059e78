import SeismoModel

/// Parsing of one WAL file's bytes, with no I/O: replay, inspection, export snapshots and
/// the fuzzer (fuzz/Harness) all go through it, so they agree on what a file holds.
extension WriteAheadLog {
    /// What a WAL file's bytes hold.
    struct FileParse: Equatable {
        /// Samples handed to the callback.
        var samples = 0
        /// Newest second of those samples (Int64.min if none).
        var maxSecond = Int64.min
        /// Length of the valid prefix: every record before it was replayed, nothing after.
        var validBytes = 0
        /// Why the bytes from `validBytes` on were not replayed (nil: the whole file was).
        var problem: String?
        /// The invalid part is only an incomplete last record (a header or payload cut
        /// short by the end of the file): what a crash mid-append leaves, never data
        /// that was acknowledged. Anything else (checksum mismatch, impossible length,
        /// malformed payload) means the bytes changed after they were written.
        var tornTail = false
    }

    /// Calls `sample` for every sample of the file's valid prefix. A record is applied
    /// whole or not at all: its payload is checked completely before any of its samples
    /// is handed out, so a malformed record never contributes half its samples.
    static func parseFile(_ bytes: [UInt8], sample: (UInt32, Int64, UInt64) -> Void) -> FileParse {
        var result = FileParse()
        var stopped = false
        let end = RecordLog.scan(bytes) { payload in
            guard !stopped else { return }
            guard let count = Self.sampleCount(payload) else {
                stopped = true
                result.problem = "malformed sample record"
                return
            }
            var r = PayloadReader(payload)
            _ = r.u8()
            for _ in 0..<count {
                // Validated above; the force-unwraps cannot fail.
                let id = r.uvarint()!, t = Int64(bitPattern: r.u64()!), bits = r.u64()!
                result.maxSecond = max(result.maxSecond, floorDiv(t, 1000))
                sample(UInt32(truncatingIfNeeded: id), t, bits)
            }
            result.samples += count
            result.validBytes += RecordLog.headerSize + payload.count
        }
        if !stopped, case .invalid(let offset, let reason) = end {
            result.problem = reason
            result.tornTail = offset == result.validBytes && reason.hasPrefix("truncated")
        }
        if !stopped && result.problem == nil { result.validBytes = bytes.count }
        return result
    }

    /// Number of samples in a sample-record payload, or nil if it is not one: wrong type
    /// byte, a truncated sample, or a series id that does not fit 32 bits.
    static func sampleCount(_ payload: UnsafeRawBufferPointer) -> Int? {
        var r = PayloadReader(payload)
        guard r.u8() == sampleRecord else { return nil }
        var n = 0
        while !r.isAtEnd {
            guard let id = r.uvarint(), id <= UInt64(UInt32.max), r.u64() != nil, r.u64() != nil else { return nil }
            n += 1
        }
        return n
    }
}
