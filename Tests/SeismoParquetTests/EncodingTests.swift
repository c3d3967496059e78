import Testing
@testable import SeismoParquet
import SeismoTestSupport

@Suite struct ThriftCompactTests {
    @Test func roundTripsFieldsAndSkipsUnknownOnes() throws {
        var w = ThriftCompactWriter()
        w.i32(1, -7)
        w.i64(2, Int64.min)
        w.bool(3, true)
        w.beginStruct(4)
        w.string(1, "inner")
        w.listHeader(2, elementType: ThriftType.i32, count: 20)
        for i in 0..<20 { w.zigzag(Int64(i)) }
        w.endStruct()
        w.string(40, "long-form id")  // delta > 15 needs the long header form
        w.i16(41, -2)
        w.stop()

        var r = ThriftCompactReader(data: w.bytes, fileOffset: 100, path: "mem", errorKind: .corruptFooter)
        var last: Int16 = 0
        var seen: [Int16] = []
        while let (id, type) = try r.field(&last) {
            seen.append(id)
            switch id {
            case 1: #expect(try r.i32() == -7)
            case 2: #expect(try r.zigzag() == Int64.min)
            case 3: #expect(type == ThriftType.boolTrue)
            case 40: #expect(try r.string() == "long-form id")
            case 41: #expect(try r.i16() == -2)
            default: try r.skip(type)  // the nested struct with its list
            }
        }
        #expect(seen == [1, 2, 3, 4, 40, 41])
        #expect(r.remaining == 0)
    }

    @Test func truncatedInputThrowsWithOffset() {
        var w = ThriftCompactWriter()
        w.string(1, "hello world")
        w.stop()
        let cut = Array(w.bytes.prefix(5))
        var r = ThriftCompactReader(data: cut, fileOffset: 1000, path: "mem", errorKind: .corruptFooter)
        var last: Int16 = 0
        #expect(throws: ParquetError.self) {
            while let (_, type) = try r.field(&last) { try r.skip(type) }
        }
    }

    @Test func deepNestingIsRejectedNotRecursedForever() {
        // 0x1C = field delta 1, type struct, repeated: an endless chain of structs.
        let bytes = [UInt8](repeating: 0x1C, count: 10_000)
        var r = ThriftCompactReader(data: bytes, fileOffset: 0, path: "mem", errorKind: .corruptFooter)
        #expect(throws: ParquetError.self) { try r.skip(ThriftType.structure) }
    }
}

@Suite struct RLEHybridTests {
    func roundTrip(_ flags: [UInt16]) throws -> [UInt8] {
        var encoded: [UInt8] = []
        flags.withUnsafeBufferPointer { RLEHybrid.encodePresence($0, 0..<flags.count, into: &encoded) }
        var levels: [UInt8] = []
        try RLEHybrid.decode(encoded, start: 0, end: encoded.count, bitWidth: 1, count: flags.count,
                             fileOffset: 0, path: "mem", into: &levels)
        #expect(levels == flags.map { $0 == 0 ? 0 : 1 })
        return encoded
    }

    @Test func longRunsAreTiny() throws {
        let flags = [UInt16](repeating: 1, count: 86_400)
        #expect(try roundTrip(flags).count <= 4)
        #expect(try roundTrip([UInt16](repeating: 0, count: 3600)).count <= 3)
    }

    @Test func mixedPatterns() throws {
        var rng = SplitMix(state: 7)
        for n in [0, 1, 7, 8, 9, 15, 16, 17, 100, 1000] {
            _ = try roundTrip((0..<n).map { _ in UInt16(rng.next() % 2) })
            _ = try roundTrip((0..<n).map { $0 % 2 == 0 ? 1 : 0 })
            _ = try roundTrip((0..<n).map { ($0 / 13) % 2 == 0 ? 5 : 0 })
        }
        // Alternating flags must stay bit-packed: about one bit per row.
        let alternating = try roundTrip((0..<8000).map { UInt16($0 % 2) })
        #expect(alternating.count < 1100)
    }

    @Test func widerBitWidthsDecode() throws {
        // Hand-made: bit-packed run of 1 group, width 3, values 0...7 (Encodings.md example).
        let data: [UInt8] = [0x03, 0x88, 0xC6, 0xFA]
        var levels: [UInt8] = []
        try RLEHybrid.decode(data, start: 0, end: data.count, bitWidth: 3, count: 8, fileOffset: 0, path: "mem", into: &levels)
        #expect(levels == [0, 1, 2, 3, 4, 5, 6, 7])
    }

    @Test func truncatedRunThrows() {
        var levels: [UInt8] = []
        #expect(throws: ParquetError.self) {
            try RLEHybrid.decode([0x05, 0xFF], start: 0, end: 2, bitWidth: 1, count: 16, fileOffset: 0, path: "mem", into: &levels)
        }
    }
}

@Suite struct DeltaBinaryPackedTests {
    func roundTrip(_ values: [Int64]) throws -> Int {
        var encoded: [UInt8] = []
        values.withUnsafeBufferPointer { DeltaBinaryPacked.encode($0, into: &encoded) }
        var decoded: [Int64] = []
        try DeltaBinaryPacked.decode(encoded, start: 0, end: encoded.count, expectedCount: values.count,
                                     fileOffset: 0, path: "mem", into: &decoded)
        #expect(decoded == values)
        return encoded.count
    }

    @Test func regularTimestampsCostAlmostNothing() throws {
        #expect(try roundTrip(secondsTimestamps(3600)) < 200)
    }

    @Test func edgeCases() throws {
        var rng = SplitMix(state: 3)
        for n in [0, 1, 2, 31, 32, 33, 127, 128, 129, 257, 1000] {
            _ = try roundTrip((0..<n).map { _ in Int64(bitPattern: rng.next()) })  // 64-bit widths, wrapping deltas
            _ = try roundTrip((0..<n).map { Int64($0) * 1000 + Int64(rng.next() % 7) })
        }
        _ = try roundTrip([Int64.max, Int64.min, 0, -1, Int64.max])
    }

    @Test func everyBitWidthRoundTrips() throws {
        var rng = SplitMix(state: 11)
        for width in 1...63 {
            // Deltas spread over exactly `width` bits, with lengths that end mid-miniblock.
            var v: Int64 = 0
            let values = (0..<(200 + width)).map { _ -> Int64 in
                v = v &+ Int64(bitPattern: rng.next() >> UInt64(64 - width))
                return v
            }
            _ = try roundTrip(values)
        }
    }

    @Test func countMismatchAndTruncationThrow() {
        var encoded: [UInt8] = []
        let values = (0..<300).map { Int64($0 * $0) }
        values.withUnsafeBufferPointer { DeltaBinaryPacked.encode($0, into: &encoded) }
        var out: [Int64] = []
        #expect(throws: ParquetError.self) {
            try DeltaBinaryPacked.decode(encoded, start: 0, end: encoded.count, expectedCount: 299, fileOffset: 0, path: "mem", into: &out)
        }
        #expect(throws: ParquetError.self) {
            try DeltaBinaryPacked.decode(encoded, start: 0, end: encoded.count - 3, expectedCount: 300, fileOffset: 0, path: "mem", into: &out)
        }
    }
}
