import Foundation
import Logging
import SeismoModel
import Testing
@testable import SeismoStore

/// Damage to a data directory: the store still opens, reports each problem with its
/// file and byte offset, and serves everything that is intact (storage-format §9).
@Suite struct CorruptionRecoveryTests {
    /// Three durable appends of `up` at t0, t0+1s, t0+2s (one WAL record each), then a
    /// crash: the head lives only in the WAL. One file per record when `filePerRecord`.
    private func crashedStore(filePerRecord: Bool = false) throws -> String {
        let dir = makeTempDirectory()
        var config = testConfig(dir)
        if filePerRecord { config.walFileBytes = 1 }
        let store = try Store(config: config, logger: quietLogger)
        store.start()
        for k in 0..<3 { try appendDurably(store, batch([(up, [(t0 + Int64(k) * 1000, Double(k))])])) }
        store.simulateCrashForTesting()
        return dir
    }

    /// WAL files holding records (not an empty or zero-filled spare).
    private func walFiles(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir + "/wal").sorted().map { dir + "/wal/" + $0 }
            .filter { (try? recordOffsets($0).isEmpty) == false }
    }

    /// Start offsets of the records in a WAL file; its zero-filled tail is its end.
    private func recordOffsets(_ path: String) throws -> [Int] {
        try recordBounds(path).map(\.start)
    }

    private func recordBounds(_ path: String) throws -> [(start: Int, end: Int)] {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var bounds: [(start: Int, end: Int)] = []
        var at = 0
        while at + 8 <= bytes.count && bytes[at..<(at + 8)].contains(where: { $0 != 0 }) {
            let end = at + 8 + (0..<4).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) }
            bounds.append((at, end))
            at = end
        }
        return bounds
    }

    private func patch(_ path: String, at offset: Int, _ change: (inout UInt8) -> Void) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        change(&bytes[offset])
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    private func truncate(_ path: String, to size: Int) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(size).write(to: URL(fileURLWithPath: path))
    }

    /// Seconds → value of a series, read through `select` (the remote-read path).
    private func read(_ store: Store, _ name: String) throws -> [Int64: Double] {
        let found = try store.select([LabelMatcher(.equal, "__name__", name)], fromMs: 0, toMs: Int64.max / 4)
        var out: [Int64: Double] = [:]
        for s in found {
            for (t, bits) in zip(s.timestampsMs, s.valueBits) { out[t / 1000] = Double(bitPattern: bits) }
        }
        return out
    }

    private func quarantined(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir + "/quarantine")) ?? []).sorted()
    }

    private let s0 = t0 / 1000

    @Test func flippedByteInAWALRecordLosesOnlyThatRecord() throws {
        let dir = try crashedStore()
        let wal = try #require(try walFiles(dir).last)
        let offsets = try recordOffsets(wal)
        #expect(offsets.count == 3)
        try patch(wal, at: offsets[1] + 12) { $0 ^= 0x10 }  // inside the second record's payload

        let logs = LogCapture()
        let store = try Store(config: testConfig(dir), logger: logs.logger)
        store.start()
        defer { store.close() }
        #expect(try read(store, "up") == [s0: 0, s0 + 2: 2])
        let problems = store.storageProblems()
        #expect(problems.map(\.kind) == [.walCorrupt])
        #expect(problems.first?.path == wal)
        #expect(problems.first?.offset == Int64(offsets[1]))
        // The damaged record is kept aside; the file keeps its intact records.
        #expect(quarantined(dir) == [URL(fileURLWithPath: wal).lastPathComponent + ".at-\(offsets[1])"])
        let line = try #require(logs.entries.first { $0.metadata["store.problem"] == "wal_corrupt" })
        #expect(line.metadata["store.file"] == wal && line.metadata["store.offset"] == "\(offsets[1])")
        #expect(line.level == .error)
        // Writes go on.
        try appendDurably(store, batch([(up, [(t0 + 3000, 3)])]))
        #expect(try read(store, "up").count == 3)
    }

    @Test func damagedLengthStopsThatFileAndLaterFilesStillReplay() throws {
        let dir = try crashedStore(filePerRecord: true)
        let files = try walFiles(dir)
        #expect(files.count == 3)
        // A length that runs past the end of the first file: its replay stops at offset 0.
        try patch(files[0], at: 1) { $0 = 0x40 }

        let store = try Store(config: testConfig(dir), logger: quietLogger)
        store.start()
        defer { store.close() }
        #expect(try read(store, "up") == [s0 + 1: 1, s0 + 2: 2])
        let problems = store.storageProblems()
        #expect(problems.map(\.kind) == [.walCorrupt])
        #expect(problems.first?.path == files[0] && problems.first?.offset == 0)
        // Cut at the bad record, its bytes kept in quarantine.
        #expect(FileIO.fileSize(files[0]) == 0)
        #expect(quarantined(dir) == [URL(fileURLWithPath: files[0]).lastPathComponent + ".at-0"])
    }

    @Test func truncatedWALTailIsCutWithoutQuarantine() throws {
        let dir = try crashedStore()
        let wal = try #require(try walFiles(dir).last)
        // Cut into the last record (the zero-filled rest of the file goes too).
        let size = try #require(try recordBounds(wal).last).end
        let lastRecord = try recordOffsets(wal)[2]
        try truncate(wal, to: size - 5)

        let live = try StoreInspection.inspect(dataDirectory: dir)
        #expect(live.problems.count == 1 && live.problems[0].contains("\(wal) at offset"))

        let store = try Store(config: testConfig(dir), logger: quietLogger)
        store.start()
        defer { store.close() }
        #expect(try read(store, "up") == [s0: 0, s0 + 1: 1])
        let problems = store.storageProblems()
        #expect(problems.map(\.kind) == [.walTornTail])
        #expect(problems.first?.offset == Int64(lastRecord))
        #expect(FileIO.fileSize(wal) == Int64(lastRecord))
        #expect(quarantined(dir).isEmpty)
    }

    @Test func garbageFilesAreReportedAndLeftAlone() throws {
        let dir = try crashedStore()
        try Data("not a wal".utf8).write(to: URL(fileURLWithPath: dir + "/wal/notes.txt"))
        try Data(repeating: 0xA5, count: 100).write(to: URL(fileURLWithPath: dir + "/wal/00000099.wal"))
        try Data("junk".utf8).write(to: URL(fileURLWithPath: dir + "/junk.bin"))
        try Data("junk".utf8).write(to: URL(fileURLWithPath: dir + "/segments/junk"))

        let store = try Store(config: testConfig(dir), logger: quietLogger)
        store.start()
        #expect(try read(store, "up") == [s0: 0, s0 + 1: 1, s0 + 2: 2])
        let byPath = Dictionary(store.storageProblems().map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byPath[dir + "/wal/notes.txt"]?.kind == .unknownFile)
        #expect(byPath[dir + "/junk.bin"]?.kind == .unknownFile)
        #expect(byPath[dir + "/segments/junk"]?.kind == .unknownFile)
        #expect(byPath[dir + "/wal/00000099.wal"]?.kind == .walCorrupt)
        #expect(byPath[dir + "/wal/00000099.wal"]?.offset == 0)
        store.close()
        #expect(FileManager.default.fileExists(atPath: dir + "/wal/notes.txt"))
        try FileManager.default.removeItem(atPath: dir + "/segments/junk")  // readSegments lists every entry
        #expect(try readSegments(dir)["up{job=\"node\"}"]?.count == 3)
    }

    /// Two sealed segments (one hour each) holding `up` and `node_load1`.
    private func sealedStore() throws -> (dir: String, first: String, second: String) {
        let dir = makeTempDirectory()
        let store = try Store(config: testConfig(dir, window: 60, span: 3600), logger: quietLogger)
        store.start()
        try appendDurably(store, batch([(up, [(t0, 1)]), (load, [(t0, 10)])]))
        try appendDurably(store, batch([(up, [(t0 + 3_600_000, 2)]), (load, [(t0 + 3_600_000, 20)])]))
        store.close()
        let segments = try FileManager.default.contentsOfDirectory(atPath: dir + "/segments").sorted()
        #expect(segments.count == 2)
        return (dir, dir + "/segments/" + segments[0] + "/cg-00000.parquet", dir + "/segments/" + segments[1] + "/cg-00000.parquet")
    }

    @Test(arguments: ["truncated", "zero-length", "garbage"])
    func damagedSegmentFileIsSkippedAndTheOtherSegmentsServed(_ damage: String) throws {
        let (dir, first, _) = try sealedStore()
        let size = Int(FileIO.fileSize(first)!)
        switch damage {
        case "truncated": try truncate(first, to: size / 2)
        case "zero-length": try truncate(first, to: 0)
        default: try Data(repeating: 0x50, count: size).write(to: URL(fileURLWithPath: first))
        }

        let store = try Store(config: testConfig(dir, window: 60, span: 3600), logger: quietLogger)
        store.start()
        defer { store.close() }
        let problems = store.storageProblems()
        #expect(problems.map(\.kind) == [.segment])
        #expect(problems.first?.path == first && problems.first?.offset != nil)
        // The other segment still answers reads, for every series.
        #expect(try read(store, "up") == [s0 + 3600: 2])
        #expect(try read(store, "node_load1") == [s0 + 3600: 20])
        // Reads meet the same file again; it is reported once.
        #expect(store.storageProblems().count == 1)

        // Export sessions (live and from disk) skip it too.
        let buffers = WindowBuffers(columns: 1, capacityRows: 7200)
        buffers.reset(rows: 7200)
        let live = LiveStoreSession(store: store)
        let upRef = try #require(live.catalogSeries().first { $0.labels.contains { $0 == ("__name__", "up") } })
        try live.fill([upRef], fromSecond: s0, into: buffers)
        #expect(buffers.presence(0)[0] == 0 && buffers.presence(0)[3600] != 0)
        let snapshot = try StoreSnapshot(dataDirectory: dir)
        buffers.reset(rows: 7200)
        try snapshot.fill([upRef], fromSecond: s0, into: buffers)
        #expect(buffers.presence(0)[3600] != 0)
        #expect(snapshot.segmentProblems.map(\.path) == [first])
        #expect(try StoreInspection.inspect(dataDirectory: dir).problems.contains { $0.hasPrefix(first) })
    }

    @Test func flippedByteInTheCatalogKeepsTheSeriesBeforeIt() throws {
        let (dir, _, _) = try sealedStore()
        let catalog = dir + "/catalog/series.log"
        let offsets = try recordOffsets(catalog)
        try patch(catalog, at: offsets.last! + 10) { $0 ^= 0x01 }

        let store = try Store(config: testConfig(dir, window: 60, span: 3600), logger: quietLogger)
        store.start()
        defer { store.close() }
        let problems = store.storageProblems()
        #expect(problems.map(\.kind) == [.catalog])
        #expect(problems.first?.offset == Int64(offsets.last!))
        #expect(quarantined(dir) == ["series.log.at-\(offsets.last!)"])
        // Segments name their columns by label set, so both series are still read.
        #expect(try read(store, "up").count == 2)
    }

    /// Catalog damage drops the series after the bad record, but the WAL still holds their
    /// unsealed samples: they are kept under placeholder series, whose ids new series then
    /// cannot take (a later replay of the same WAL would otherwise mix them).
    @Test func catalogDamageKeepsUnsealedSamplesUnderPlaceholders() throws {
        let dir = makeTempDirectory()
        do {
            let store = try Store(config: testConfig(dir), logger: quietLogger)
            store.start()
            try appendDurably(store, batch([(up, [(t0, 1)]), (load, [(t0, 10)])]))
            store.simulateCrashForTesting()
        }
        let catalog = dir + "/catalog/series.log"
        let offsets = try recordOffsets(catalog)
        try patch(catalog, at: offsets.last! + 10) { $0 ^= 0x01 }  // node_load1's record

        let fresh = [(name: "__name__", value: "fresh")]
        do {
            let store = try Store(config: testConfig(dir), logger: quietLogger)
            store.start()
            #expect(store.storageProblems().map(\.kind) == [.catalog])
            #expect(try read(store, "up") == [s0: 1])
            let lost = try store.select([LabelMatcher(.equal, "__name__", Store.lostSeriesName)], fromMs: 0, toMs: .max / 4)
            #expect(lost.count == 1 && lost.first?.labels.last?.value == "1")
            #expect(lost.first?.valueBits == [Double(10).bitPattern])
            try appendDurably(store, batch([(fresh, [(t0 + 1000, 5)])]))
            store.simulateCrashForTesting()
        }
        // Replaying the same WAL again: `fresh` got a new id, so it holds only its own sample.
        let store = try Store(config: testConfig(dir), logger: quietLogger)
        store.start()
        defer { store.close() }
        #expect(try read(store, "fresh") == [s0 + 1: 5])
        #expect(store.stats().series == 3)
    }
}

/// Collects log entries (level, message, metadata as strings) for assertions.
final class LogCapture: @unchecked Sendable {
    struct Entry {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let lock = NSLock()
    private var collected: [Entry] = []
    var entries: [Entry] {
        lock.lock()
        defer { lock.unlock() }
        return collected
    }

    var logger: Logger {
        Logger(label: "capture") { _ in Handler(capture: self) }
    }

    fileprivate func add(_ e: Entry) {
        lock.lock()
        collected.append(e)
        lock.unlock()
    }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            capture.add(Entry(level: event.level, message: "\(event.message)",
                              metadata: (event.metadata ?? [:]).mapValues { "\($0)" }))
        }
    }
}
