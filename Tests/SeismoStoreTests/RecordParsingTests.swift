import Foundation
import Testing
@testable import SeismoStore

/// Parsing of WAL and catalog bytes that passed their checksum but hold nonsense (a
/// writer bug, or damage the CRC missed): never a trap, always "invalid from here".
@Suite struct RecordParsingTests {
    private func framed(_ payloads: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for p in payloads { p.withUnsafeBytes { RecordLog.frame($0, into: &out) } }
        return out
    }

    private let series0: [UInt8] = [SeriesCatalog.seriesRecord, 0] + [2, 0x61, 0x62, 1, 0x63]

    /// Found by the `wal` fuzz target (fuzz/regressions/wal/catalog-string-length-overflow):
    /// a metadata string length of 2^63 or more trapped converting it to Int.
    @Test func hugeStringLengthInACatalogRecordIsMalformedNotATrap() {
        let huge: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]  // 2^64 - 1
        let metadata: [UInt8] = [SeriesCatalog.metadataRecord, 1] + huge + [0x61]
        let bytes = framed([series0, metadata])
        let catalog = SeriesCatalog(path: "/nonexistent")
        let bad = catalog.apply(bytes)
        #expect(bad?.offset == RecordLog.headerSize + series0.count)
        #expect(bad?.reason == "malformed metadata record")
        #expect(catalog.seriesCount == 1)
    }

    @Test func hugeSeriesIdInACatalogRecordIsOutOfSequence() {
        let bytes = framed([series0, [SeriesCatalog.seriesRecord, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 1, 0x61]])
        let catalog = SeriesCatalog(path: "/nonexistent")
        #expect(catalog.apply(bytes)?.reason == "series record out of sequence")
        #expect(catalog.seriesCount == 1)
    }

    @Test func payloadReaderRefusesLengthsPastTheEnd() {
        let bytes: [UInt8] = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x61]  // 2^63
        bytes.withUnsafeBytes { raw in
            var r = PayloadReader(raw)
            #expect(r.string() == nil)
        }
    }
}

@Suite struct CatalogRecoveryTests {
    /// A record with a valid checksum but an unknown type used to throw out of
    /// `Store.init`, so the server did not start; now the catalog ends there.
    @Test func aCatalogRecordOfUnknownTypeDoesNotStopTheStore() throws {
        let dir = makeTempDirectory()
        do {
            let store = try Store(config: testConfig(dir), logger: quietLogger)
            store.start()
            try appendDurably(store, batch([(up, [(t0, 1)])]))
            store.close()
        }
        let path = dir + "/catalog/series.log"
        let before = try #require(FileIO.fileSize(path))
        var record: [UInt8] = []
        [UInt8]([0x7F, 1, 2, 3]).withUnsafeBytes { RecordLog.frame($0, into: &record) }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(record))
        handle.closeFile()

        let store = try Store(config: testConfig(dir), logger: quietLogger)
        store.start()
        defer { store.close() }
        let problem = try #require(store.storageProblems().first)
        #expect(problem.kind == .catalog && problem.offset == before && problem.reason.hasPrefix("unknown record type"))
        #expect(store.stats().series == 1)
    }
}
