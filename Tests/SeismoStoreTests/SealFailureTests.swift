import Foundation
import SeismoModel
import Testing
@testable import SeismoStore

/// Write-side faults of sealing: a seal that fails must leave every acknowledged sample
/// recoverable, and must not leave a half-written segment behind.
@Suite struct SealFailureTests {
    let series: [(name: String, value: String)] = [("__name__", "up"), ("job", "seal")]
    let column = "up{job=\"seal\"}"
    /// Minute aligned, so 1-minute segments start here.
    let base: Int64 = 1_800_000_000

    /// Makes the rename that publishes segment [start, end) fail (ENOTEMPTY), as a real
    /// filesystem error would, without touching anything else.
    func blockSegment(_ dir: String, start: Int64, end: Int64) throws -> String {
        let path = dir + "/segments/" + DataDirectory.SegmentName(start: start, end: end).directoryName
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: path + "/blocker", contents: Data([1]))
        return path
    }

    /// Appends durably and insists that every sample was stored (none outside the window).
    func appendAll(_ store: Store, _ samples: [(timestampMs: Int64, value: Double)]) throws {
        let r = try appendDurably(store, batch([(series, samples)]), nowMs: (base + 250) * 1000)
        #expect(r.stored == samples.count && r.rejections.isEmpty)
    }

    @Test func aFailedSealDoesNotLetANewerSegmentHideItsWALSamples() throws {
        let dir = makeTempDirectory()
        do {
            let store = try Store(config: testConfig(dir, window: 100, span: 60), logger: quietLogger)
            store.start()
            let blocker = try blockSegment(dir, start: base, end: base + 60)
            try appendAll(store, [((base + 10) * 1000, 1), ((base + 70) * 1000, 2)])
            try appendAll(store, [((base + 250) * 1000, 3)])
            store.sealDue(final: false)
            // The older segment failed; the newer one must wait for it.
            let names = try FileManager.default.contentsOfDirectory(atPath: dir + "/segments").filter { !$0.hasPrefix(".") }
            #expect(names == [DataDirectory.SegmentName(start: base, end: base + 60).directoryName])
            store.simulateCrashForTesting()
            try FileManager.default.removeItem(atPath: blocker)
        }
        let store = try Store(config: testConfig(dir, window: 100, span: 60), logger: quietLogger)
        store.start()
        store.close()
        let cells = try readSegments(dir)[column] ?? [:]
        #expect(cells == [base + 10: Double(1).bitPattern, base + 70: Double(2).bitPattern, base + 250: Double(3).bitPattern])
    }

    @Test func aFailedSealLeavesNoTemporaryDirectoryAndKeepsTheHeadReadable() throws {
        let dir = makeTempDirectory()
        let store = try Store(config: testConfig(dir, window: 100, span: 60), logger: quietLogger)
        store.start()
        let blocker = try blockSegment(dir, start: base, end: base + 60)
        try appendAll(store, [((base + 10) * 1000, 1)])
        try appendAll(store, [((base + 250) * 1000, 3)])
        store.sealDue(final: false)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir + "/segments")
        #expect(!names.contains { $0.hasPrefix(".tmp-") }, "half-written segment left behind: \(names)")
        // The detached buffer is still served while it waits for a retry.
        let read = try store.select([LabelMatcher(.equal, "job", "seal")], fromMs: base * 1000, toMs: (base + 400) * 1000)
        #expect(read.first?.timestampsMs == [(base + 10) * 1000, (base + 250) * 1000])
        try FileManager.default.removeItem(atPath: blocker)
        store.close()
        let cells = try readSegments(dir)[column] ?? [:]
        #expect(cells == [base + 10: Double(1).bitPattern, base + 250: Double(3).bitPattern])
    }
}
