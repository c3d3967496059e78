import Foundation
import SeismoModel
import Testing
@testable import SeismoStore

@Suite struct SeriesMatcherTests {
    let labels = [(name: "__name__", value: "http_requests_total"), (name: "code", value: "200"), (name: "job", value: "api")]

    func match(_ m: [LabelMatcher]) throws -> Bool { try SeriesMatcher(m).matches(labels) }

    @Test func prometheusSemantics() throws {
        #expect(try match([LabelMatcher(.equal, "job", "api")]))
        #expect(try !match([LabelMatcher(.notEqual, "job", "api")]))
        // Regexes are fully anchored.
        #expect(try match([LabelMatcher(.regexMatch, "code", "2..")]))
        #expect(try !match([LabelMatcher(.regexMatch, "code", "0")]))
        #expect(try match([LabelMatcher(.regexNoMatch, "code", "0")]))
        #expect(try match([LabelMatcher(.regexMatch, "__name__", "http_.*|grpc_.*")]))
        // A missing label has the value "".
        #expect(try match([LabelMatcher(.equal, "instance", "")]))
        #expect(try !match([LabelMatcher(.notEqual, "instance", "")]))
        #expect(try match([LabelMatcher(.regexMatch, "instance", ".*")]))
        #expect(try !match([LabelMatcher(.regexMatch, "instance", ".+")]))
        #expect(try !match([LabelMatcher(.equal, "job", "")]))
    }

    @Test func invalidRegexIsAnError() {
        #expect(throws: SeriesMatcher.InvalidRegex.self) { try SeriesMatcher([LabelMatcher(.regexMatch, "a", "(")]) }
    }
}

@Suite struct SelectTests {
    @Test func selectMergesSegmentsAndHeadInTimeOrder() throws {
        let dir = makeTempDirectory()
        let store = try Store(config: testConfig(dir, window: 120, span: 60), logger: quietLogger)
        store.start()
        let base = (t0 / 60_000) * 60_000
        let stale = Double(bitPattern: staleMarkerBits)
        try appendDurably(store, batch([
            (up, (0..<60).map { (base + Int64($0) * 1000 + 250, Double($0)) }),
            (load, [(base + 10_000, 0.5)]),
        ]))
        try appendDurably(store, batch([(up, [(base + 185_000, 185), (base + 186_000, stale)])]))
        store.sealDue(final: false)  // [base, base+60) is now a segment; 185..186 stay in the head
        #expect(store.stats().segments == 1)

        let all = try store.select([LabelMatcher(.equal, "__name__", "up")], fromMs: base, toMs: base + 200_000)
        #expect(all.count == 1)
        let s = try #require(all.first)
        #expect(s.timestampsMs.count == 62)
        #expect(s.timestampsMs.first == base && s.timestampsMs.last == base + 186_000)
        #expect(s.timestampsMs == s.timestampsMs.sorted())
        #expect(s.valueBits.last == staleMarkerBits)

        // Time range is inclusive on per-second timestamps; matchers by regex.
        let part = try store.select([LabelMatcher(.regexMatch, "__name__", "up|node_.*")], fromMs: base + 10_000, toMs: base + 11_500)
        #expect(part.map { $0.labels.first { $0.name == "__name__" }!.value } == ["node_load1", "up"])
        #expect(part[1].timestampsMs == [base + 10_000, base + 11_000])
        #expect(try store.select([LabelMatcher(.equal, "job", "nope")], fromMs: base, toMs: base + 1_000_000).isEmpty)
        store.close()
    }
}
