import Foundation
import Testing
@testable import SeismoParquet
import SeismoTestSupport

/// Damaged files must produce ParquetError (with path and offset), never a trap.
@Suite struct CorruptionTests {
    func validFile(_ dir: TempDir, codec: ParquetCodec = .snappy) throws -> [UInt8] {
        let path = dir.file("valid.parquet")
        try writeColumns(path, timestamps: secondsTimestamps(500), columns: realisticColumns(rows: 500, count: 4),
                         keyValueMetadata: [("k", "v")], codec: codec, maxPageBytes: 1024)
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Opens `bytes` and reads every column; returns the error if any.
    func readAll(_ dir: TempDir, _ bytes: [UInt8], name: String = "damaged.parquet") -> ParquetError? {
        let path = dir.file(name)
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        do {
            let reader = try ParquetFileReader(path: path)
            for i in reader.columns.indices {
                if reader.columns[i].physicalType == 2 { _ = try reader.readInt64Column(i) } else { _ = try reader.readDoubleColumn(i) }
            }
            return nil
        } catch let e as ParquetError {
            #expect(e.path == path)
            return e
        } catch {
            Issue.record("unexpected error type \(error)")
            return nil
        }
    }

    @Test func truncatedFilesThrow() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let bytes = try validFile(dir)
        for cut in [0, 3, 4, 11, 12, 100, bytes.count / 2, bytes.count - 9, bytes.count - 8, bytes.count - 1] {
            let e = readAll(dir, Array(bytes.prefix(cut)))
            #expect(e != nil, "cut at \(cut)")
            #expect(e?.kind == .corruptFooter)
        }
        let e = readAll(dir, Array(bytes.prefix(bytes.count - 1)))
        #expect(e?.description.hasPrefix("corrupt parquet footer in \(dir.file("damaged.parquet")) at offset ") == true)
    }

    @Test func garbageFilesThrow() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        var rng = SplitMix(state: 11)
        for n in [1, 12, 100, 5000] {
            let garbage = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            #expect(readAll(dir, garbage) != nil)
            // Garbage between valid magics reaches the Thrift parser.
            let framed = Array("PAR1".utf8) + garbage + [UInt8(n & 0xFF), UInt8(n >> 8), 0, 0] + Array("PAR1".utf8)
            #expect(readAll(dir, framed) != nil)
        }
        #expect(readAll(dir, Array("PAR1".utf8) + [0xFF, 0xFF, 0xFF, 0xFF] + Array("PAR1".utf8))?.kind == .corruptFooter)
    }

    /// Flips bytes all over a valid file: every outcome must be a clean read or
    /// a ParquetError (page bodies are not checksummed, so some flips in value
    /// bytes legitimately go unnoticed).
    @Test(arguments: [ParquetCodec.snappy, .uncompressed])
    func bitFlipsNeverTrap(codec: ParquetCodec) throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let bytes = try validFile(dir, codec: codec)
        var rng = SplitMix(state: 5)
        var detected = 0
        for i in 0..<400 {
            var damaged = bytes
            let at = i < 200 ? Int(rng.next() % UInt64(bytes.count)) : bytes.count - 8 - Int(rng.next() % 600)
            damaged[at] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            if readAll(dir, damaged) != nil { detected += 1 }
        }
        #expect(detected > 0)
    }

    /// Every footer byte, damaged three ways: the footer is the part a single
    /// flipped bit can turn into absurd offsets, counts and lengths.
    @Test func everyFooterByteFlipped() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let bytes = try validFile(dir)
        let length = Int(bytes[bytes.count - 8]) | Int(bytes[bytes.count - 7]) << 8
        for at in (bytes.count - 8 - length)..<(bytes.count - 8) {
            for mask: UInt8 in [0x01, 0x80, 0xFF] {
                var damaged = bytes
                damaged[at] ^= mask
                _ = readAll(dir, damaged)
            }
        }
    }

    @Test func columnIndexAndTypeAreChecked() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        _ = try validFile(dir)
        let reader = try ParquetFileReader(path: dir.file("valid.parquet"))
        #expect(throws: ParquetError.self) { try reader.readDoubleColumn(99) }
        #expect(throws: ParquetError.self) { try reader.readDoubleColumn(0) }
        #expect(throws: ParquetError.self) { try reader.readInt64Column(1) }
    }

    @Test func missingFileIsAnIOError() {
        #expect(throws: ParquetError.self) { try ParquetFileReader(path: "/nonexistent/file.parquet") }
    }
}
