import Foundation
import SeismoModel
import SeismoStore
import Testing
@testable import SeismoExport

/// Several data directories exported as one table: compared with one directory that holds
/// the same samples, which is what a merged export must be indistinguishable from.
@Suite struct MergeTests {
    typealias Series = (labels: [(name: String, value: String)], cells: [(Int64, Double)])

    /// A closed (sealed) directory holding `series`.
    func directory(_ series: [Series], _ name: String = #function) throws -> String {
        let dir = makeTempDirectory(name)
        try makeStore(dir, series).close()
        return dir
    }

    func merged(_ dirs: [String]) -> MergedSource { MergedSource(dirs.map { DirectorySource(path: $0) }) }

    let a: Series = (labels("m", ("k", "a")), (0..<130).map { (Int64($0), Double($0)) })
    let b: Series = (labels("m", ("k", "b")), stride(from: 0, to: 130, by: 3).map { (Int64($0), Double($0) / 7) })
    let c: Series = (labels("other", ("x", "1")), (40..<70).map { (Int64($0), -Double($0)) })

    @Test func disjointSeriesGiveTheSingleDirectoryTable() throws {
        let single = try directory([a, b, c])
        let d0 = try directory([a, c])
        let d1 = try directory([b])
        for format in [ExportFormat.csv, .parquet] {
            let want = try export(DirectorySource(path: single)) { $0.format = format }
            let got = try export(merged([d0, d1])) { $0.format = format }
            // Byte for byte, Parquet metadata included: the same layout, columns in label order.
            #expect(got.bytes == want.bytes)
            #expect(got.summary.nonNullCells == want.summary.nonNullCells)
            #expect(got.summary.mergeConflicts == 0)
        }
        // The directory order does not change a table without overlaps.
        let swapped = try export(merged([d1, d0])) { $0.format = .csv }
        #expect(swapped.bytes == (try export(DirectorySource(path: single)) { $0.format = .csv }).bytes)
    }

    @Test func overlappingSeriesWithEqualValuesMergeWithoutConflicts() throws {
        let single = try directory([a, b])
        // a's first 80 s in one directory, the rest plus an overlap of 30 s in the other
        // (a series moved during resharding while both shards still received it).
        let early: Series = (a.labels, Array(a.cells[0..<80]))
        let late: Series = (a.labels, Array(a.cells[50...]))
        let d0 = try directory([early, b])
        let d1 = try directory([late])
        let want = try export(DirectorySource(path: single)) { $0.format = .parquet }
        let got = try export(merged([d0, d1])) { $0.format = .parquet }
        #expect(got.bytes == want.bytes)
        #expect(got.summary.mergeConflicts == 0)
        #expect(got.summary.nonNullCells == Int64(a.cells.count + b.cells.count))
    }

    @Test func conflictingCellsKeepTheFirstDirectorysValueAndAreCounted() throws {
        let key = labels("m", ("k", "a"))
        let stale = Double(bitPattern: staleBits)
        // Seconds 0…9 = 1 in d0, 5…14 = 2 in d1: 5 conflicts (5…9). Second 20: stale marker
        // in d0, a value in d1 → the value, no conflict. Second 21: the same value in both.
        let d0 = try directory([(key, (0..<10).map { ($0, 1.0) } + [(20, stale), (21, 4.5)])])
        let d1 = try directory([(key, (5..<15).map { ($0, 2.0) } + [(20, 3.0), (21, 4.5)]), c])
        let got = try export(merged([d0, d1])) { $0.format = .csv; $0.toMs = (t0 + 22) * 1000 }
        let lines = csvLines(got.bytes)
        #expect(lines[0] == #"timestamp,"m{k=""a""}","other{x=""1""}""#)
        #expect(lines[1...10].allSatisfy { $0.hasSuffix(",1,") })
        #expect(lines[11...15].allSatisfy { $0.hasSuffix(",2,") })
        #expect(lines[21] == "1800000020,3,")
        #expect(lines[22] == "1800000021,4.5,")
        #expect(got.summary.mergeConflicts == 5)
        #expect(got.summary.conflictColumns.map(\.column) == [#"m{k="a"}"#])
        #expect(got.summary.conflictColumns.map(\.cells) == [5])
        #expect(got.summary.staleMarkersAsNull == 0)

        // The other order: the other directory's values win the same 5 cells.
        let reversed = try export(merged([d1, d0])) { $0.format = .csv; $0.toMs = (t0 + 22) * 1000 }
        let r = csvLines(reversed.bytes)
        #expect(r[6...15].allSatisfy { $0.hasSuffix(",2,") })
        #expect(reversed.summary.mergeConflicts == 5)

        // --drop-incomplete reads the range twice; the conflicts are still counted once.
        let dropped = try export(merged([d0, d1])) { o in
            o.format = .csv
            o.dropIncomplete = true
            o.toMs = (t0 + 15) * 1000
        }
        #expect(csvLines(dropped.bytes)[0] == #"timestamp,"m{k=""a""}""#)
        #expect(dropped.summary.mergeConflicts == 5)
    }

    @Test func differentTimeExtentsGiveTheUnionOfSeconds() throws {
        // Different segments, 200 s apart, and one directory still live (head in the WAL).
        let early: Series = (labels("m", ("k", "a")), (0..<10).map { ($0, Double($0)) })
        let late: Series = (labels("m", ("k", "b")), (200..<210).map { ($0, Double($0)) })
        let d0 = try directory([early])
        let d1 = makeTempDirectory()
        let store = try makeStore(d1, [late])
        defer { store.close() }
        let got = try export(merged([d0, d1])) { $0.format = .csv }
        let lines = csvLines(got.bytes)
        #expect(lines.count == 1 + 210)
        #expect(lines[1] == "1800000000,0,")
        #expect(lines[11] == "1800000010,,")
        #expect(lines[210] == "1800000209,,209")
        // An explicit range beyond both extents still has every second.
        let wide = try export(merged([d1, d0])) { $0.format = .csv; $0.fromMs = (t0 - 5) * 1000; $0.toMs = (t0 + 300) * 1000 }
        #expect(csvLines(wide.bytes).count == 1 + 305)
        #expect(wide.summary.nonNullCells == 20)
    }

    @Test func storedIntervalsPostedToEveryShardCountOnce() throws {
        let d0 = try directory([a])
        let d1 = try directory([b])
        let shared = LabelInterval(fromMs: (t0 + 1) * 1000, toMs: (t0 + 3) * 1000, isAnomaly: true, anomalyType: "oom")
        let own = LabelInterval(fromMs: (t0 + 5) * 1000, toMs: (t0 + 6) * 1000, isAnomaly: true, anomalyType: "cpu")
        try IntervalLog(dataDirectory: d0).append([StoredIntervals.encode(shared)])
        try IntervalLog(dataDirectory: d1).append([StoredIntervals.encode(shared), StoredIntervals.encode(own)])
        let got = try export(merged([d0, d1])) { $0.format = .csv; $0.toMs = (t0 + 7) * 1000 }
        #expect(got.job.plan.intervals.count == 2)
        #expect(csvLines(got.bytes).dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false)[1] }
                == ["0", "1", "1", "0", "0", "1", "0"])
    }
}
