import SeismoModel
@testable import SeismoWire
import Testing

@Suite("Request and label limits")
struct LimitsTests {
    static let limits = WireLimits(maxSeriesPerRequest: 3, maxLabelsPerSeries: 4, maxLabelNameBytes: 10, maxLabelValueBytes: 12)

    @Test("a series over a label limit is refused with its reason; the others are kept")
    func perSeriesLimits() throws {
        let series = [
            PB.series([("__name__", "ok"), ("job", "j")], samples: [(1000, 1.0.bitPattern)]),
            PB.series([("__name__", "m"), ("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")], samples: [(1000, 1.0.bitPattern), (2000, 1.0.bitPattern)]),
            PB.series([("__name__", "m"), ("abcdefghijk", "1")], samples: [(1000, 1.0.bitPattern)]),
        ]
        let decoder = WriteRequestDecoder(limits: Self.limits)
        var batch = WriteBatch()
        let body = PB.writeRequest(series)
        try body.withUnsafeBytes { try decoder.decode(protobuf: $0, into: &batch) }
        #expect(batch.series.count == 1)
        #expect(batch.rejections.count(.tooManyLabels) == 2)
        #expect(batch.rejections.count(.labelNameTooLong) == 1)
        #expect(batch.rejections.describe(stored: 1).contains("more labels than limits.max_labels_per_series"))

        var long = WriteBatch()
        let valueTooLong = PB.writeRequest([PB.series([("__name__", "m"), ("v", "0123456789abc")], samples: [(1000, 1.0.bitPattern)])])
        try valueTooLong.withUnsafeBytes { try decoder.decode(protobuf: $0, into: &long) }
        #expect(long.series.isEmpty)
        #expect(long.rejections.count(.labelValueTooLong) == 1)
    }

    @Test("more series than allowed refuses the whole request as too large, naming the limit")
    func seriesPerRequest() throws {
        let series = (0..<4).map { PB.series([("__name__", "m\($0)")], samples: [(1000, 1.0.bitPattern)]) }
        let decoder = WriteRequestDecoder(limits: Self.limits)
        var batch = WriteBatch()
        let body = PB.writeRequest(series)
        do {
            try body.withUnsafeBytes { try decoder.decode(protobuf: $0, into: &batch) }
            Issue.record("expected a tooLarge error")
        } catch let error as WireError {
            #expect(error.kind == .tooLarge)
            #expect(error.limit == "series_per_request")
            #expect(error.message.hasPrefix("series: request has 4 series, limit is 3"))
        }
        #expect(batch.series.isEmpty)
    }
}
