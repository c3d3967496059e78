import Foundation
import SeismoModel
import SeismoParquet
import SeismoStore
import Testing
@testable import SeismoExport

/// End to end through a real store: sealed segments (stopped store), a live directory
/// (WAL replay, no lock), and the live store session.
@Suite struct ExportEngineTests {
    /// a: every second 0…149 (value = second), stale marker at 150;
    /// b: even seconds only; c: seconds 0…9 only.
    func fixture(_ dir: String) throws -> Store {
        let a: [(Int64, Double)] = (0..<150).map { (Int64($0), Double($0)) } + [(Int64(150), Double(bitPattern: staleBits))]
        let b: [(Int64, Double)] = stride(from: 0, to: 152, by: 2).map { (Int64($0), Double($0) / 10) }
        let c: [(Int64, Double)] = (0..<10).map { (Int64($0), 0.1 + Double($0)) }
        return try makeStore(dir, [(labels("m", ("k", "a")), a), (labels("m", ("k", "b")), b), (labels("other", ("x", "1")), c)])
    }

    @Test func csvFromSealedSegmentsMatchesTheSamples() throws {
        let dir = makeTempDirectory()
        try fixture(dir).close()
        #expect(FileManager.default.fileExists(atPath: dir + "/segments/1800000000-1800000060"))
        let r = try export(DirectorySource(path: dir)) { $0.format = .csv; $0.useStoredIntervals = false }
        let lines = csvLines(r.bytes)
        #expect(lines[0] == #"timestamp,"m{k=""a""}","m{k=""b""}","other{x=""1""}""#)
        #expect(lines.count == 1 + 151)  // seconds 0…150 hold data in some series
        #expect(lines[1] == "1800000000,0,0,0.1")
        #expect(lines[2] == "1800000001,1,,1.1")
        #expect(lines[11] == "1800000010,10,1,")
        #expect(lines[151] == "1800000150,,15,")  // stale marker → null
        #expect(r.summary.staleMarkersAsNull == 1)
        #expect(r.summary.nonNullCells == 150 + 76 + 10)
    }

    @Test func liveDirectoryIsReadWithoutTheLock() throws {
        let dir = makeTempDirectory()
        let store = try fixture(dir)
        defer { store.close() }
        // Nothing sealed yet (no seal tick happened for data this old? the seal thread may
        // have run: either way the union of segments and WAL must give the same table).
        let r = try export(DirectorySource(path: dir)) { $0.format = .csv; $0.fromMs = (t0 + 8) * 1000; $0.toMs = (t0 + 12) * 1000 }
        #expect(csvLines(r.bytes) == [#"timestamp,"m{k=""a""}","m{k=""b""}","other{x=""1""}""#,
                                     "1800000008,8,0.8,8.1", "1800000009,9,,9.1", "1800000010,10,1,", "1800000011,11,,"])
        let live = try export(LiveStoreSource(store: store)) { $0.format = .csv; $0.fromMs = (t0 + 8) * 1000; $0.toMs = (t0 + 12) * 1000 }
        #expect(live.bytes == r.bytes)
    }

    @Test func matchersStepFillAndDropIncomplete() throws {
        let dir = makeTempDirectory()
        try fixture(dir).close()
        let src = DirectorySource(path: dir)
        let m = try export(src) { o in
            o.format = .csv
            o.selectors = [try! SeriesSelector.parse(#"{__name__=~"m|x", k!="a"}"#).matchers]
            o.toMs = (t0 + 3) * 1000
        }
        #expect(csvLines(m.bytes) == [#"timestamp,"m{k=""b""}""#, "1800000000,0", "1800000001,", "1800000002,0.2"])

        let step = try export(src) { o in
            o.format = .csv
            o.stepSeconds = 4
            o.fromMs = (t0 + 1) * 1000
            o.toMs = (t0 + 12) * 1000
        }
        // Rows [1,5) [5,9) [9,12): the last value in each.
        #expect(csvLines(step.bytes).dropFirst() == ["1800000001,4,0.4,4.1", "1800000005,8,0.8,8.1", "1800000009,11,1,9.1"])

        let fill = try export(src) { o in
            o.format = .csv
            o.fill = .previous
            o.fillLimitSeconds = 2
            o.fromMs = (t0 + 8) * 1000
            o.toMs = (t0 + 14) * 1000
        }
        #expect(csvLines(fill.bytes).dropFirst() == ["1800000008,8,0.8,8.1", "1800000009,9,0.8,9.1", "1800000010,10,1,9.1",
                                                    "1800000011,11,1,9.1", "1800000012,12,1.2,", "1800000013,13,1.2,"])

        let drop = try export(src) { o in
            o.format = .csv
            o.dropIncomplete = true
            o.toMs = (t0 + 20) * 1000
        }
        #expect(csvLines(drop.bytes)[0] == #"timestamp,"m{k=""a""}""#)
        #expect(drop.summary.droppedIncomplete == 2)
    }

    @Test func parquetRoundTripWithLabelsAndMetadata() throws {
        let dir = makeTempDirectory()
        try fixture(dir).close()
        let intervals = [LabelInterval(fromMs: (t0 + 5) * 1000, toMs: (t0 + 7) * 1000, isAnomaly: true, anomalyType: "mem"),
                         LabelInterval(fromMs: t0 * 1000, toMs: (t0 + 100) * 1000, isAnomaly: false, state: "Kafka running")]
        let r = try export(DirectorySource(path: dir)) { o in
            o.labelIntervals = intervals
            o.labelColumns = true
            o.maxWindowBytes = 30 * 60 * 3  // forces 60 s windows: several row groups
        }
        let path = dir + "/out.parquet"
        FileManager.default.createFile(atPath: path, contents: Data(r.bytes))
        let reader = try ParquetFileReader(path: path)
        #expect(reader.rowCount == 151)
        #expect(reader.columns.map(\.name) == ["timestamp", "anomaly", "state", #"m{k="a"}"#, #"m{k="b"}"#, #"other{x="1"}"#])
        let ts = try reader.readInt64Column(0)
        #expect(ts.first == t0 * 1000 && ts.last == (t0 + 150) * 1000)
        let a = try reader.readDoubleColumn(3)
        #expect(a.count == 151 && a[149] == Double(149).bitPattern && a[150] == nil)
        let b = try reader.readDoubleColumn(4)
        #expect(b[1] == nil && b[2] == (0.2).bitPattern)
        let meta = Dictionary(uniqueKeysWithValues: reader.keyValueMetadata.map { ($0.key, $0.value) })
        #expect(meta["seismo.series"]?.contains(#""labels":{"__name__":"m","k":"a"},"stale_markers_as_null":1"#) == true)
        #expect(meta["seismo.export"]?.contains(#""rows":151"#) == true)
    }

    @Test func thesisLayout() throws {
        let dir = makeTempDirectory()
        try fixture(dir).close()
        let anomalies = [LabelInterval(fromMs: (t0 + 2) * 1000, toMs: (t0 + 4) * 1000, isAnomaly: true,
                                       anomalyType: "Request memory until container is destroyed", details: "Kafka runs for 11s before anomaly starts")]
        let r = try export(DirectorySource(path: dir)) { o in
            o.thesis = true
            o.labelIntervals = anomalies + [LabelInterval(fromMs: t0 * 1000, toMs: (t0 + 3) * 1000, isAnomaly: false, state: "Kafka running")]
            o.toMs = (t0 + 5) * 1000
        }
        let lines = csvLines(r.bytes)
        // Every second of [0,5) has m{k="a"} and other{x="1"}; m{k="b"} misses odd seconds → dropped.
        #expect(lines == ["Time\tAnomaly\tInstance\tm_0\tother_0",
                          "1800000000\t0\tKafka running\t0\t0.1",
                          "1800000001\t0\tKafka running\t1\t1.1",
                          "1800000002\t1\tKafka running\t2\t2.1",
                          "1800000003\t1\t\t3\t3.1",
                          "1800000004\t0\t\t4\t4.1"])
        #expect(r.job.anomaliesTable == "Timestamp_from\tTimestamp_to\tAnomaly type\tAnomaly details\n1800000002\t1800000004\tRequest memory until container is destroyed\tKafka runs for 11s before anomaly starts\n")
    }

    @Test func storedIntervalsAreJoinedAutomatically() throws {
        let dir = makeTempDirectory()
        try fixture(dir).close()
        try IntervalLog(dataDirectory: dir).append([StoredIntervals.encode(LabelInterval(fromMs: (t0 + 1) * 1000, toMs: (t0 + 2) * 1000, isAnomaly: true, anomalyType: "x"))])
        let r = try export(DirectorySource(path: dir)) { o in
            o.format = .csv
            o.toMs = (t0 + 3) * 1000
            o.selectors = [try! SeriesSelector.parse("other").matchers]
        }
        #expect(csvLines(r.bytes) == [#"timestamp,anomaly,state,"other{x=""1""}""#, "1800000000,0,,0.1", "1800000001,1,,1.1", "1800000002,0,,2.1"])
    }

    @Test func badOptionsFailBeforeOutput() throws {
        let dir = makeTempDirectory()
        try fixture(dir).close()
        #expect(throws: ExportError.self) {
            _ = try ExportJob.prepare(source: DirectorySource(path: dir), options: { var o = ExportOptions(); o.fromMs = 5000; o.toMs = 5000; return o }())
        }
        #expect(throws: ExportError.self) {
            _ = try ExportJob.prepare(source: DirectorySource(path: dir + "/missing"), options: ExportOptions())
        }
    }

    @Test func doublesRoundTripThroughText() {
        for v in [0.1, 1.0 / 3.0, 2089807872, -0.0, 1e-300, 5e-324, 1.7976931348623157e308, 123456789012345678, -2.5] {
            #expect(Double(formatDouble(v.bitPattern))!.bitPattern == v.bitPattern, "\(v)")
        }
        #expect(formatDouble(Double.nan.bitPattern) == "NaN")
        #expect(formatDouble((-Double.infinity).bitPattern) == "-Inf")
    }
}
