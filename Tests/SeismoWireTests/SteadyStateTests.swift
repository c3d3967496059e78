import SeismoModel
import SeismoTestSupport
import SeismoWire
import Testing

@Suite("Steady-state decoding")
struct SteadyStateTests {
    @Test("200 decodes of a 2000-sample fixture do not grow the batch or the series cache")
    func walkerDoesNotGrow() throws {
        let body = try Fixtures.load("prom242_batch2000_01.bin")
        let decoder = WriteRequestDecoder()
        let book = SeriesIdBook()
        var batch = WriteBatch()
        try body.withUnsafeBytes { try decoder.decode(snappyBody: $0, into: &batch) }
        book.learn(decoder, batch)
        #expect(decoder.cachedSeries == 975)  // distinct label sets of the fixture
        let footprint = decoder.seriesCacheFootprint
        let capacities = (batch.labelBytes.capacity, batch.series.capacity, batch.timestamps.capacity, batch.valueBits.capacity)
        for _ in 0..<200 {
            batch.removeAll(keepingCapacity: true)
            try body.withUnsafeBytes { try decoder.decode(snappyBody: $0, into: &batch) }
            book.learn(decoder, batch)
        }
        #expect(decoder.cachedSeries == 975 && decoder.seriesCacheResets == 0)
        #expect(batch.labelBytes.isEmpty)  // every series named by its id
        #expect(decoder.seriesCacheFootprint == footprint)
        #expect(batch.series.count == 2000)
        #expect((batch.labelBytes.capacity, batch.series.capacity, batch.timestamps.capacity, batch.valueBits.capacity) == capacities)
    }

    @Test("protobuf-c oracle: 200 decodes of a 2000-sample fixture do not grow the arena or the batch")
    func arenaDoesNotGrow() throws {
        let body = try Fixtures.load("prom242_batch2000_01.bin")
        let decoder = ProtobufCWriteRequestDecoder()
        var batch = WriteBatch()
        try body.withUnsafeBytes { try decoder.decode(snappyBody: $0, into: &batch) }
        let capacity = decoder.arenaCapacity
        let used = decoder.lastArenaBytes
        #expect(used > 0 && used <= capacity)
        let capacities = (batch.labelBytes.capacity, batch.series.capacity, batch.timestamps.capacity, batch.valueBits.capacity)

        for _ in 0..<200 {
            batch.removeAll(keepingCapacity: true)
            try body.withUnsafeBytes { try decoder.decode(snappyBody: $0, into: &batch) }
            #expect(decoder.arenaCapacity == capacity)
            #expect(decoder.lastArenaBytes == used)
        }
        #expect(batch.series.count == 2000)
        #expect((batch.labelBytes.capacity, batch.series.capacity, batch.timestamps.capacity, batch.valueBits.capacity) == capacities)
    }

    @Test("protobuf-c oracle: a large request grows the arena once; later small requests fit in it")
    func arenaGrowsOnce() throws {
        let decoder = ProtobufCWriteRequestDecoder()
        let big = WriteRequestEncoder.encode(series: (0..<20_000).map {
            ([(name: "__name__", value: "m"), (name: "i", value: "\($0)")], [(timestampMs: 1, value: 1)])
        })
        _ = try decodeBody(big, decoder: decoder)
        let grown = decoder.arenaCapacity
        #expect(decoder.lastArenaBytes <= grown)
        _ = try decodeBody(try Fixtures.load("prom242_write_01.bin"), decoder: decoder)
        _ = try decodeBody(big, decoder: decoder)
        #expect(decoder.arenaCapacity == grown)
    }

    @Test("decode time per 2000-sample request (printed, not asserted)")
    func timing() throws {
        let body = try Fixtures.load("prom242_batch2000_01.bin")
        let decoder = WriteRequestDecoder()
        let book = SeriesIdBook()
        var batch = WriteBatch()
        let rounds = 500
        for _ in 0..<20 {
            batch.removeAll(keepingCapacity: true)
            try body.withUnsafeBytes { try decoder.decode(snappyBody: $0, into: &batch) }
            book.learn(decoder, batch)
        }
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            for _ in 0..<rounds {
                batch.removeAll(keepingCapacity: true)
                try body.withUnsafeBytes { try decoder.decode(snappyBody: $0, into: &batch) }
            }
        }
        let perRequest = elapsed / rounds
        let micros = Double(perRequest.components.attoseconds) / 1e12 + Double(perRequest.components.seconds) * 1e6
        print("SeismoWire timing: \(String(format: "%.1f", micros)) µs per 2000-sample request (\(String(format: "%.0f", micros * 1000 / 2000)) ns/sample), \(decoder.cachedSeries) series cached")
        #expect(batch.sampleCount == 2000)
    }
}
