import Foundation
import SeismoModel
import SeismoParquet
import Testing
@testable import SeismoStore

/// What a sealed segment file says about its columns: by default (format 2) the series
/// ids in column order, with the column name as the only spelling of the label set; with
/// `segmentFooterLabels` (format 1) also every label set as JSON.
@Suite struct SegmentFooterTests {
    /// Label values that need escaping in a selector, and one that looks like syntax.
    static let values = ["plain", "quote\"d", "back\\slash", "new\nline", "ünï,cödé", "a=\"b\",c"]

    func seal(footerLabels: Bool) throws -> [(metadata: [String: String], columns: [String])] {
        let dir = makeTempDirectory("segment-footer-\(footerLabels)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = testConfig(dir, window: 3600, span: 3600)
        config.segmentFooterLabels = footerLabels
        let store = try Store(config: config, logger: quietLogger)
        store.start()
        let t0: Int64 = 1_799_996_400_000
        var b = WriteBatch()
        for (k, v) in Self.values.enumerated() {
            b.append(labels: [("__name__", "m_\(k)"), ("job", "j"), ("v", v)],
                     samples: [(t0, Double(k)), (t0 + 1000, Double(k) + 0.5)])
        }
        try appendDurably(store, b)
        store.close()
        var files: [(metadata: [String: String], columns: [String])] = []
        let segments = dir + "/segments"
        for seg in try FileManager.default.contentsOfDirectory(atPath: segments) where !seg.hasPrefix(".") {
            for file in try FileManager.default.contentsOfDirectory(atPath: segments + "/" + seg) {
                let reader = try ParquetFileReader(path: segments + "/" + seg + "/" + file)
                var metadata: [String: String] = [:]
                for (k, v) in reader.keyValueMetadata { metadata[k] = v }
                files.append((metadata, reader.columns.dropFirst().map(\.name)))
            }
        }
        return files
    }

    /// The label set a column name spells, read back with the export's selector parser.
    func labels(ofColumn name: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for m in try SeriesSelector.parse(name).matchers {
            #expect(m.kind == .equal)
            out[m.name] = m.value
        }
        return out
    }

    @Test func defaultFooterHoldsIdsAndNamesSpellTheLabels() throws {
        let files = try seal(footerLabels: false)
        #expect(files.count == 1)
        let file = try #require(files.first)
        let segment = try #require(file.metadata["seismo.segment"])
        #expect(segment.hasPrefix("{\"format\":2,"))
        let ids = try #require(JSONSerialization.jsonObject(with: Data(file.metadata["seismo.series"]!.utf8)) as? [Int])
        #expect(ids.count == file.columns.count)
        #expect(Set(ids).count == ids.count)
        var seen: Set<String> = []
        for name in file.columns {
            let l = try labels(ofColumn: name)
            let k = Int(l["__name__"]!.dropFirst(2))!
            #expect(l == ["__name__": "m_\(k)", "job": "j", "v": Self.values[k]])
            seen.insert(l["v"]!)
        }
        #expect(seen == Set(Self.values))
    }

    @Test func footerLabelsOptionKeepsFormatOne() throws {
        let files = try seal(footerLabels: true)
        let file = try #require(files.first)
        #expect(file.metadata["seismo.segment"]?.hasPrefix("{\"format\":1,") == true)
        let entries = try #require(JSONSerialization.jsonObject(with: Data(file.metadata["seismo.series"]!.utf8)) as? [[String: Any]])
        #expect(entries.map { $0["column"] as? String } == file.columns.map { Optional($0) })
        for e in entries {
            let name = try #require(e["column"] as? String)
            #expect(e["labels"] as? [String: String] == (try labels(ofColumn: name)))
        }
    }

    /// Format 2 is what it is for: the footer bytes per column roughly halve.
    @Test func idsOnlyFooterIsSmaller() throws {
        let short = try #require(try seal(footerLabels: false).first?.metadata["seismo.series"])
        let long = try #require(try seal(footerLabels: true).first?.metadata["seismo.series"])
        #expect(short.utf8.count * 10 < long.utf8.count)
    }
}
