import Foundation
import SeismoModel
import Testing
@testable import SeismoStore

/// A data directory written by Seismo with storage format 1 and committed under
/// `Golden/datadir-v1` (see its README). Reading it with today's code must give the same
/// samples: a change that breaks the on-disk format breaks this test.
enum Golden {
    static let firstSecond: Int64 = 1_796_000_000
    static let seconds: Int64 = 200
    static let window: Int64 = 120
    static let span: Int64 = 60
    static let gauge = [(name: "__name__", value: "golden_gauge"), (name: "instance", value: "a")]
    static let counter = [(name: "__name__", value: "golden_counter_total"), (name: "instance", value: "b")]
    static let stale = [(name: "__name__", value: "golden_stale"), (name: "instance", value: "c \"quoted\"")]

    /// Expected cells: column name → second → value bits.
    static var expected: [String: [Int64: UInt64]] {
        var out: [String: [Int64: UInt64]] = [:]
        for s in 0..<seconds {
            out[LabelKey.selector(gauge), default: [:]][firstSecond + s] = (Double(s) * 0.5).bitPattern
            if s % 2 == 0 { out[LabelKey.selector(counter), default: [:]][firstSecond + s] = Double(s).bitPattern }
            if s < 100 { out[LabelKey.selector(stale), default: [:]][firstSecond + s] = Double(s).squareRoot().bitPattern }
            if s == 100 { out[LabelKey.selector(stale), default: [:]][firstSecond + s] = staleMarkerBits }
        }
        return out
    }

    static var directory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/datadir-v1").path
    }

    static var config: (String) -> StoreConfig = { testConfig($0, window: window, span: span) }
}

@Suite struct GoldenDataDirTests {
    /// Regenerates the golden directory (only when asked: it is committed, not rebuilt).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SEISMO_WRITE_GOLDEN"] != nil))
    func writeGoldenDirectory() throws {
        let dir = ProcessInfo.processInfo.environment["SEISMO_WRITE_GOLDEN"]!
        let store = try Store(config: Golden.config(dir), logger: quietLogger)
        store.start()
        for chunk in stride(from: Int64(0), to: Golden.seconds, by: 10) {
            var b = WriteBatch()
            let range = chunk..<(chunk + 10)
            let ms: Int64 = 137
            b.append(labels: Golden.gauge, samples: range.map { ((Golden.firstSecond + $0) * 1000 + ms, Double($0) * 0.5) })
            b.append(labels: Golden.counter, samples: range.filter { $0 % 2 == 0 }.map { ((Golden.firstSecond + $0) * 1000 + ms, Double($0)) })
            b.append(labels: Golden.stale, samples: range.filter { $0 <= 100 }.map {
                ((Golden.firstSecond + $0) * 1000 + ms, $0 == 100 ? Double(bitPattern: staleMarkerBits) : Double($0).squareRoot())
            })
            // An earlier sample in the same second as the gauge's: must lose to the later one.
            b.append(labels: Golden.gauge, samples: [((Golden.firstSecond + chunk) * 1000 + 5, -1)])
            b.metadata = [MetricMetadata(kind: .gauge, family: "golden_gauge", help: "a gauge", unit: "")]
            try appendDurably(store, b, nowMs: (Golden.firstSecond + chunk) * 1000)
        }
        store.sealDue(final: false)
        store.simulateCrashForTesting()
    }

    func copyOfGolden() throws -> String {
        let dir = makeTempDirectory() + "/data"
        try FileManager.default.copyItem(atPath: Golden.directory, toPath: dir)
        return dir
    }

    @Test func inspectReadsTheGoldenDirectory() throws {
        let r = try StoreInspection.inspect(dataDirectory: try copyOfGolden())
        #expect(r.series == 3)
        #expect(r.samples == 200 + 100 + 101)
        #expect(r.segments == 1)
        #expect(r.firstTimestampMs == Golden.firstSecond * 1000)
        #expect(r.lastTimestampMs == (Golden.firstSecond + Golden.seconds - 1) * 1000)
        #expect(r.problems.isEmpty)
    }

    @Test func recoveringTheGoldenDirectoryKeepsEverySample() throws {
        let dir = try copyOfGolden()
        let store = try Store(config: Golden.config(dir), logger: quietLogger)
        #expect(store.catalog.metadata["golden_gauge"]?.help == "a gauge")
        store.start()
        store.close()
        let data = try readSegments(dir)
        #expect(data == Golden.expected)
        let r = try StoreInspection.inspect(dataDirectory: dir)
        #expect(r.samples == 401)
        #expect(r.headSamples == 0)
    }
}
