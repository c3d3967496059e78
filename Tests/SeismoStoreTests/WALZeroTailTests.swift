import Foundation
import Testing
import SeismoModel
@testable import SeismoStore

/// WAL files are zero-filled ahead of the appends (`WALSpare`): a zero tail is the clean
/// end of a file, while a damaged record before it is still found and reported as before.
@Suite struct WALZeroTailTests {
    private func record(_ samples: [(id: UInt32, ms: Int64)]) -> [UInt8] {
        var bytes: [UInt8] = []
        let start = RecordLog.begin(&bytes)
        bytes.append(WALSamples.plainRecord)
        for s in samples {
            appendUVarint(UInt64(s.id), to: &bytes)
            appendU64(UInt64(bitPattern: s.ms), to: &bytes)
            appendU64(Double(1).bitPattern, to: &bytes)
        }
        RecordLog.finish(&bytes, recordStart: start)
        return bytes
    }

    private func parse(_ bytes: [UInt8]) -> (WriteAheadLog.FileParse, [Int64]) {
        var times: [Int64] = []
        let parsed = WriteAheadLog.parseFile(bytes) { _, t, _ in times.append(t) }
        return (parsed, times)
    }

    @Test func aZeroTailIsTheCleanEnd() {
        let records = record([(0, 1000), (1, 1000)]) + record([(0, 2000)])
        for tail in [0, 1, 7, 8, 9, 4096] {
            let (parsed, times) = parse(records + [UInt8](repeating: 0, count: tail))
            #expect(times == [1000, 1000, 2000])
            #expect(parsed.damage.isEmpty && parsed.stoppedAt == nil && !parsed.tornTail, "tail of \(tail) zeros")
            #expect(parsed.loggedBytes == records.count, "tail of \(tail) zeros")  // the zeros are not log
        }
        // A file of zeros only (a spare never used) holds nothing and nothing is wrong.
        let (empty, none) = parse([UInt8](repeating: 0, count: 1 << 16))
        #expect(none.isEmpty && empty.damage.isEmpty && empty.stoppedAt == nil && empty.loggedBytes == 0)
    }

    /// `seismo inspect` on a live directory: `wal_bytes` counts the records, not the
    /// zero-filled space ahead of the appends (`wal_file_bytes` does). Whether the store's
    /// own spare is ready at the first append depends on timing, so the test zero-fills
    /// the tail of every WAL file itself, as `WALSpare` would have.
    @Test func inspectCountsRecordsNotTheZeroFilledSpace() throws {
        let dir = makeTempDirectory()
        let store = try Store(config: testConfig(dir), logger: quietLogger)
        store.start()
        try appendDurably(store, batch([(up, [(t0, 1), (t0 + 1000, 0)])]))
        defer { store.close() }
        let before = try StoreInspection.inspect(dataDirectory: dir)
        #expect(before.headSamples == 2)
        #expect(before.walBytes > 0 && before.walBytes < 4096)
        let walDir = dir + "/wal"
        for name in try FileManager.default.contentsOfDirectory(atPath: walDir) {
            let file = try #require(FileHandle(forWritingAtPath: walDir + "/" + name))
            try file.seekToEnd()
            try file.write(contentsOf: Data(count: 1 << 16))
            try file.close()
        }
        let after = try StoreInspection.inspect(dataDirectory: dir)
        #expect(after.headSamples == 2)
        #expect(after.walBytes == before.walBytes)
        #expect(after.walFileBytes >= before.walBytes + (1 << 16))
        #expect(after.json.contains("\"wal_bytes\":\(after.walBytes),\"wal_file_bytes\":\(after.walFileBytes)"))
    }

    @Test func aRecordCutShortBeforeTheZerosIsATornTail() {
        let first = record([(0, 1000)])
        var cut = record([(0, 2000), (1, 2000)])
        for i in (cut.count - 5)..<cut.count { cut[i] = 0 }  // the append's end never landed
        let (parsed, times) = parse(first + cut + [UInt8](repeating: 0, count: 4096))
        #expect(times == [1000])
        #expect(parsed.stoppedAt == first.count && parsed.tornTail)
        #expect(parsed.damage == [.init(start: first.count, end: first.count + cut.count + 4096, reason: "checksum mismatch")])
    }

    @Test func aCorruptRecordBeforeTheZerosIsStillFound() {
        let first = record([(0, 1000)]), third = record([(0, 3000)])
        var second = record([(0, 2000)])
        second[12] ^= 0x10
        // In the middle: skipped, the record after it replayed, the zero tail clean.
        let (skipped, times) = parse(first + second + third + [UInt8](repeating: 0, count: 100))
        #expect(times == [1000, 3000])
        #expect(skipped.damage == [.init(start: first.count, end: first.count + second.count, reason: "checksum mismatch")])
        #expect(skipped.stoppedAt == nil)
        // Zeros, then data again: no append leaves that, so replay stops at the zeros.
        let gap = first + [UInt8](repeating: 0, count: 64) + third
        let (stopped, before) = parse(gap)
        #expect(before == [1000])
        #expect(stopped.stoppedAt == first.count && !stopped.tornTail)
        #expect(stopped.damage.map(\.reason) == ["zero bytes followed by other data"])
    }

    /// The spare is zero-filled to the rotation size and synced before it is used, so the
    /// file in use does not grow with each append; replay of it is clean.
    @Test func filesAreZeroFilledAheadAndReplayClean() throws {
        let dir = makeTempDirectory() + "/wal"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let size = 1 << 16
        let wal = WriteAheadLog(directory: dir, rotateBytes: size)
        try wal.openNewFile()  // file 1: no spare is ready yet
        try waitForSpare(wal, index: 2)
        try wal.append(record([(0, 1000)]), maxSecond: 1)  // moves on to the spare at once
        try wal.append(record([(0, 2000)]), maxSecond: 2)
        try wal.append(record([(1, 2000)]), maxSecond: 2)
        #expect(FileIO.fileSize(dir + "/00000001.wal") == 0)
        #expect(FileIO.fileSize(dir + "/00000002.wal") == Int64(size))
        try waitForSpare(wal, index: 3)
        #expect(FileIO.fileSize(dir + "/00000003.wal") == Int64(size))
        wal.close()
        #expect(!FileIO.exists(dir + "/00000003.wal"), "an unused spare is deleted at close")

        let again = WriteAheadLog(directory: dir, rotateBytes: size)
        var times: [Int64] = []
        let problems = try again.replay(quarantine: dir + "/../quarantine") { _, t, _ in times.append(t) }
        #expect(times == [1000, 2000, 2000])
        #expect(problems.isEmpty)
        #expect(FileIO.fileSize(dir + "/00000002.wal") == Int64(size), "a clean file is not cut")
    }

    /// A crash leaves the next spare (zeros) after the file being appended to: a torn
    /// record in that file is still the newest file's torn tail, not corruption.
    @Test func aTornTailBeforeASpareIsStillATornTail() throws {
        let dir = makeTempDirectory() + "/wal"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let good = record([(0, 1000)])
        let torn = Array(record([(0, 2000)]).prefix(20))
        try Data(good + torn + [UInt8](repeating: 0, count: 4096)).write(to: URL(fileURLWithPath: dir + "/00000001.wal"))
        try Data([UInt8](repeating: 0, count: 1000)).write(to: URL(fileURLWithPath: dir + "/00000002.wal"))
        let wal = WriteAheadLog(directory: dir, rotateBytes: 1 << 16)
        var times: [Int64] = []
        let problems = try wal.replay(quarantine: dir + "/../quarantine") { _, t, _ in times.append(t) }
        #expect(times == [1000])
        #expect(problems.count == 1 && problems[0].tornTail && problems[0].offset == good.count)
        #expect(FileIO.fileSize(dir + "/00000001.wal") == Int64(good.count))
        #expect(!FileIO.exists(dir + "/../quarantine"))
    }

    /// The same damage in a file that is not the newest one with data is corruption:
    /// kept in quarantine, as before files were zero-filled.
    @Test func aDamagedLastRecordInAnOlderFileIsCorruption() throws {
        let dir = makeTempDirectory() + "/wal"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let good = record([(0, 1000)])
        var bad = record([(0, 2000)])
        bad[12] ^= 0x10
        try Data(good + bad + [UInt8](repeating: 0, count: 4096)).write(to: URL(fileURLWithPath: dir + "/00000001.wal"))
        try Data(record([(0, 3000)]) + [UInt8](repeating: 0, count: 64)).write(to: URL(fileURLWithPath: dir + "/00000002.wal"))
        let wal = WriteAheadLog(directory: dir, rotateBytes: 1 << 16)
        var times: [Int64] = []
        let problems = try wal.replay(quarantine: dir + "/../quarantine") { _, t, _ in times.append(t) }
        #expect(times == [1000, 3000])
        #expect(problems.count == 1 && !problems[0].tornTail && problems[0].offset == good.count)
        #expect(problems.first?.quarantinedTo != nil)
    }

    /// End to end: a store's WAL after a crash replays every acknowledged sample and
    /// reports nothing (before, a zero tail counted as a torn tail).
    @Test func aCrashedStoreWithZeroFilledFilesRecoversCleanly() throws {
        let dir = makeTempDirectory()
        var config = testConfig(dir)
        config.walFileBytes = 1 << 16
        do {
            let store = try Store(config: config, logger: quietLogger)
            store.start()
            try waitForSpare(store.wal, index: 2)  // the next append moves on to it
            try appendDurably(store, batch([(up, [(t0 - 1000, -1)])]))
            for k in 0..<40 { try appendDurably(store, batch([(up, [(t0 + Int64(k) * 1000, Double(k))])])) }
            #expect(FileIO.fileSize(dir + "/wal/00000002.wal") == 1 << 16)
            store.simulateCrashForTesting()
        }
        let store = try Store(config: config, logger: quietLogger)
        store.start()
        defer { store.close() }
        #expect(store.storageProblems().isEmpty)
        #expect(store.stats().headSamples == 41)
    }

    private func waitForSpare(_ wal: WriteAheadLog, index: Int) throws {
        let deadline = Date().addingTimeInterval(10)
        while wal.spare.readyIndex != index {
            try #require(Date() < deadline, "spare \(index) never became ready")
            usleep(1000)
        }
    }
}
