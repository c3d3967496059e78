import XCTest
@testable import SeismoReport

final class SVGChartTests: XCTestCase {
    func testLinearScaleMapsEndsAndHandlesFlatDomain() {
        let s = LinearScale(domain: (10, 20), range: (100, 0))
        XCTAssertEqual(s.map(10), 100)
        XCTAssertEqual(s.map(20), 0)
        XCTAssertEqual(s.map(15), 50)
        XCTAssertEqual(LinearScale(domain: (5, 5), range: (0, 10)).map(5), 5)
    }

    func testTicksAreRoundAndCoverTheRange() {
        XCTAssertEqual(Ticks.values(0, 1), [0, 0.5, 1.0], accuracy: 1e-9)
        XCTAssertEqual(Ticks.values(0, 1, count: 5), [0, 0.2, 0.4, 0.6, 0.8, 1.0], accuracy: 1e-9)
        XCTAssertEqual(Ticks.values(97, 163), [100, 120, 140, 160])
        XCTAssertEqual(Ticks.timeStep(span: 600), 120)
        XCTAssertEqual(Ticks.timeStep(span: 40), 5)
        XCTAssertEqual(Ticks.times(from: 61, to: 1000), [120, 240, 360, 480, 600, 720, 840, 960])
        XCTAssertEqual(Format.value(1_500_000), "1.5M")
        XCTAssertEqual(Format.value(0.25), "0.25")
        XCTAssertEqual(Format.duration(200), "3 min 20 s")
        XCTAssertEqual(Format.duration(-12), "−12 s")
    }

    func testChartIsWellFormedXMLEvenWithHostileText() {
        let odd = "a<b>&\"c\"'\u{01}"
        let chart = SVGChart(from: 0, to: 100, lines: [ChartLine(label: odd, points: [(0, 1), (50, 2), (100, 3)])],
                             shades: [(from: 20, to: 40)], markers: [ChartMarker(second: 30, kind: .firing)],
                             threshold: 2.5, title: odd)
        let svg = chart.render()
        XCTAssertNil(xmlProblem(svg))
        XCTAssertTrue(svg.contains("a&lt;b&gt;&amp;&quot;c&quot;&#39;\u{FFFD}"))
        XCTAssertFalse(svg.contains("a<b>"))
        XCTAssertTrue(svg.contains("class=\"interval\""))
        XCTAssertTrue(svg.contains("class=\"firing\""))
        XCTAssertTrue(svg.contains("class=\"threshold\""))
    }

    func testPathScalesIntoThePlotAreaAndBreaksAtGapsAndStaleMarkers() {
        let chart = SVGChart(from: 0, to: 1000, width: 1076, height: 232, maxGapSeconds: 100)
        // Plot area: x 64…1064 (1 px per second), y 224 (bottom) … 8 (top).
        let x = LinearScale(domain: (0, 1000), range: (64, 1064))
        let y = LinearScale(domain: (0, 10), range: (224, 8))
        let d = chart.path([(0, 0), (10, 10), (500, 5), (510, .nan), (520, 5)], x: x, y: y)
        XCTAssertTrue(d.hasPrefix("M64 224"), d)
        XCTAssertTrue(d.contains("L74 8"), d)               // joined: 10 s apart
        XCTAssertEqual(d.filter { $0 == "M" }.count, 3, d)  // 490 s gap, then a stale marker
    }

    func testDownsamplingKeepsASingleSecondSpike() {
        var points: [(second: Int64, value: Double)] = (0..<100_000).map { (Int64($0), 1.0) }
        points[54_321].value = 99
        let x = LinearScale(domain: (0, 100_000), range: (0, 500))
        let reduced = SVGChart.minMaxPerColumn(points, x: x)
        XCTAssertLessThan(reduced.count, 1100)
        XCTAssertTrue(reduced.contains { $0.value == 99 && $0.second == 54_321 })
        XCTAssertEqual(reduced.map(\.second), reduced.map(\.second).sorted())
    }
}

private func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "\(a) vs \(b)", file: file, line: line)
    for (p, q) in zip(a, b) { XCTAssertEqual(p, q, accuracy: accuracy, file: file, line: line) }
}

final class SeriesReaderTests: XCTestCase {
    func testLongRangesAreReducedToBucketMinMaxKeepingSpikesAndBreaks() throws {
        let session = FakeSession()
        var cells: [Int64: Double] = [:]
        for t in Int64(0)..<200_000 { cells[t] = 5 }
        cells[123_457] = 900
        cells[150_000] = Double(bitPattern: 0x7ff0_0000_0000_0002)  // stale marker
        session.add(["__name__": "m"], cells)
        let reader = SeriesReader(session: session)
        reader.windowRows = 7000
        let points = try reader.points(reader.catalog, from: 0, to: 199_999)[0]
        XCTAssertLessThan(points.count, 4100)
        XCTAssertTrue(points.contains { $0.second == 123_457 && $0.value == 900 })
        XCTAssertTrue(points.contains { $0.second == 150_000 && $0.value.isNaN })
        XCTAssertEqual(points.map(\.second), points.map(\.second).sorted())
        // Short ranges keep every sample.
        XCTAssertEqual(try reader.points(reader.catalog, from: 10, to: 1009)[0].count, 1000)
    }
}
