/// A pull-style walk over the samples of a durable batch, for the watch thread.
///
/// `DurableSamples.forEach` calls a closure per sample across the module boundary: the
/// closure cannot be inlined into the walk, so every sample paid an indirect call and
/// the caller could not keep its tables in local unsafe buffers across samples. The
/// cursor is `@inlinable`, so the decoding loop compiles into the caller's own loop.
///
/// It yields exactly what `DurableSamples.forEach` yields (tested side by side): records
/// in order, a record whose length runs past the bytes ends the walk, and within a
/// payload the walk stops at the first malformed sample (`WALSamples.walk`'s rules).
public struct WALSampleCursor {
    @usableFromInline let raw: UnsafeRawBufferPointer
    /// Start of the next record's header.
    @usableFromInline var nextRecord = 0
    /// Read position inside the current payload, and its end.
    @usableFromInline var offset = 0
    @usableFromInline var payloadEnd = 0
    /// Type byte of the current payload (`WALSamples.plainRecord`/`deltaRecord`), or 0.
    @usableFromInline var kind: UInt8 = 0
    /// Running id and timestamp of a delta payload.
    @usableFromInline var id: Int64 = 0
    @usableFromInline var timestamp: Int64 = 0

    @usableFromInline static let plainRecord = WALSamples.plainRecord
    @usableFromInline static let deltaRecord = WALSamples.deltaRecord
    @usableFromInline static let headerSize = RecordLog.headerSize

    @usableFromInline init(_ raw: UnsafeRawBufferPointer) {
        self.raw = raw
    }

    /// The next sample, or nil at the end of the batch.
    @inlinable @inline(__always)
    public mutating func next() -> (id: UInt32, timestampMs: Int64, valueBits: UInt64)? {
        while true {
            if offset < payloadEnd {
                if let s = kind == Self.deltaRecord ? nextDelta() : nextPlain() { return s }
                offset = payloadEnd  // malformed sample: the rest of this payload is skipped
            }
            guard startRecord() else { return nil }
        }
    }

    @inlinable @inline(__always)
    mutating func nextDelta() -> (id: UInt32, timestampMs: Int64, valueBits: UInt64)? {
        guard let dId = uvarint(), let dT = uvarint(), let bits = u64() else { return nil }
        id = id &+ Self.unzigzag(dId)
        timestamp = timestamp &+ Self.unzigzag(dT)
        guard id >= 0, id <= Int64(UInt32.max) else { return nil }
        return (UInt32(truncatingIfNeeded: id), timestamp, bits)
    }

    @inlinable
    mutating func nextPlain() -> (id: UInt32, timestampMs: Int64, valueBits: UInt64)? {
        guard let id = uvarint(), id <= UInt64(UInt32.max), let t = u64(), let bits = u64() else { return nil }
        return (UInt32(truncatingIfNeeded: id), Int64(bitPattern: t), bits)
    }

    @inlinable @inline(__always)
    static func unzigzag(_ v: UInt64) -> Int64 { Int64(bitPattern: v >> 1) ^ (0 &- Int64(bitPattern: v & 1)) }

    /// `PayloadReader.uvarint` within the current payload: at most ten bytes.
    @inlinable @inline(__always)
    mutating func uvarint() -> UInt64? {
        guard offset < payloadEnd else { return nil }
        let first = raw.load(fromByteOffset: offset, as: UInt8.self)
        offset &+= 1
        if first < 0x80 { return UInt64(first) }  // the common case: one byte
        var result = UInt64(first & 0x7F)
        var shift: UInt64 = 7
        while offset < payloadEnd {
            let b = raw.load(fromByteOffset: offset, as: UInt8.self)
            offset &+= 1
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift &+= 7
            if shift > 63 { return nil }
        }
        return nil
    }

    @inlinable @inline(__always)
    mutating func u64() -> UInt64? {
        guard payloadEnd &- offset >= 8 else { return nil }
        defer { offset &+= 8 }
        return UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// Moves to the next record's payload; false at the end of the batch.
    @usableFromInline
    mutating func startRecord() -> Bool {
        while raw.count - nextRecord >= Self.headerSize {
            let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: nextRecord, as: UInt32.self)))
            let start = nextRecord + Self.headerSize
            let end = start + length
            guard end <= raw.count else { return false }
            nextRecord = end
            // An empty payload or an unknown type yields no samples (WALSamples.walk).
            guard start < end else { continue }
            let type = raw[start]
            guard type == Self.plainRecord || type == Self.deltaRecord else { continue }
            kind = type
            offset = start + 1
            payloadEnd = end
            id = 0
            timestamp = 0
            if offset < payloadEnd { return true }
        }
        return false
    }
}

extension DurableSamples {
    /// Calls `body` with a cursor over every sample, in `forEach` order.
    public func withCursor<R>(_ body: (inout WALSampleCursor) throws -> R) rethrows -> R {
        try walBytes.withUnsafeBytes { raw in
            var cursor = WALSampleCursor(raw)
            return try body(&cursor)
        }
    }
}
