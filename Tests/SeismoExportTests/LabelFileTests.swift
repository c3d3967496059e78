import Testing
@testable import SeismoExport

@Suite struct LabelFileTests {
    func problem(_ text: String, name: String = "f.txt") -> String {
        do { _ = try LabelFileParser.parse(text: text, name: name); return "" } catch { return "\(error)" }
    }

    @Test func studyAnomaliesTable() throws {
        let text = """
        Timestamp_from\tTimestamp_to\tAnomaly type\tAnomaly details
        1579033135\t1579033155\tRequest memory until container is destroyed\tKafka runs for 11s before anomaly starts
        1579033582\t1579033602\tRequest memory until container is destroyed\tKafka runs for 10s before anomaly starts

        """
        let intervals = try LabelFileParser.parse(text: text, name: "table_anomalies.txt")
        #expect(intervals.count == 2)
        #expect(intervals[0].fromMs == 1_579_033_135_000 && intervals[0].toMs == 1_579_033_155_000)
        #expect(intervals[0].isAnomaly && intervals[0].state == nil)
        #expect(intervals[1].details == "Kafka runs for 10s before anomaly starts")
        #expect(intervals[1].origin == "table_anomalies.txt:3")
    }

    @Test func stateFileTabAndCSV() throws {
        let tsv = "from\tto\tstate\n100\t200\tWaiting for the script to start\n200\t210\tKafka running\n"
        let a = try LabelFileParser.parse(text: tsv, name: "s.tsv")
        #expect(a.map(\.state) == ["Waiting for the script to start", "Kafka running"])
        #expect(!a[0].isAnomaly)
        let csv = "start,end,state,anomaly_type,details\n2020-01-14T20:18:55Z,1579033155,\"Generating anomaly\",mem,\"a, \"\"quoted\"\" detail\"\n"
        let b = try LabelFileParser.parse(text: csv, name: "s.csv")
        #expect(b[0].isAnomaly && b[0].state == "Generating anomaly" && b[0].details == "a, \"quoted\" detail")
    }

    @Test func json() throws {
        let array = #"[{"start": 100, "end": "200", "anomaly_type": "cpu"}, {"start": "1970-01-01T00:03:20Z", "end": 300.5, "state": "idle"}]"#
        let a = try LabelFileParser.parse(text: array, name: "l.json")
        #expect(a.count == 2 && a[0].isAnomaly && a[1].toMs == 300_500 && a[1].fromMs == 200_000)
        let lines = "{\"from\": 1, \"to\": 2, \"anomaly\": true}\n\n{\"from\": 2, \"to\": 3, \"anomaly\": 0, \"state\": \"x\"}\n"
        let b = try LabelFileParser.parse(text: lines, name: "l.jsonl")
        #expect(b[0].isAnomaly && !b[1].isAnomaly && b[1].state == "x")
    }

    @Test func malformedLinesNameFileLineAndProblem() {
        let header = "Timestamp_from\tTimestamp_to\tAnomaly type\tAnomaly details\n"
        #expect(problem(header + "1\t2\tmem\n", name: "a.txt") == "a.txt:2: 3 fields, the header has 4")
        #expect(problem(header + "1\t2\tmem\tx\n5\t3\tmem\tx\n", name: "a.txt") == "a.txt:3: end 3 is not after start 5")
        #expect(problem(header + "abc\t2\tmem\tx\n").hasPrefix("f.txt:2: start: time \"abc\" is neither"))
        #expect(problem("from\tuntil\tstate\n").hasPrefix("f.txt:1: unknown column \"until\""))
        #expect(problem("from,state\n1,x\n").hasPrefix("f.txt:1: header must name a start and an end"))
        #expect(problem("from,to,state\n1,2,\"open\n").hasPrefix("f.txt:2: unterminated quoted field"))
        #expect(problem("from,to,state,anomaly_type\n1,2,,\n") == "f.txt:2: neither an anomaly (anomaly_type or anomaly=1) nor a state")
        #expect(problem("{\"start\": 1, \"end\": 2, \"colour\": \"x\"}\n").hasPrefix("f.txt:1: unknown field \"colour\""))
        #expect(problem("{\"start\": 1, \"end\": 2, \"state\": \"x\"}\n{\"start\": 1,\n").hasPrefix("f.txt:2: expected one JSON interval object per line"))
        #expect(problem("").hasPrefix("f.txt: empty label file"))
        #expect(problem("from,to,anomaly\n1,2,maybe\n").hasPrefix("f.txt:2: anomaly must be 0/1"))
    }

    @Test func requestBodyAndStoredForm() throws {
        let one = try LabelFileParser.parseRequestBody(Array(#"{"start": 10, "end": 20.25, "anomaly_type": "t", "details": "d\t\"q\"", "state": "s"}"#.utf8))
        #expect(one.count == 1)
        let stored = StoredIntervals.encode(one[0])
        let back = try LabelFileParser.parseRequestBody(stored)
        #expect(back[0].fromMs == 10_000 && back[0].toMs == 20_250 && back[0].details == "d\t\"q\"" && back[0].isAnomaly && back[0].state == "s")
        #expect(throws: ExportError.self) { try LabelFileParser.parseRequestBody(Array("[1, 2]".utf8)) }
    }

    /// Found by the `labels` fuzz target (fuzz/regressions/labels): a time before the
    /// epoch with a fraction, -796.125 s, was stored as "-797.875" (floor seconds, then the
    /// positive remainder), which reads back 1.75 s earlier.
    @Test func storedFormKeepsFractionalTimesBeforeTheEpoch() throws {
        for ms: Int64 in [-796_125, -1, -999, -1000, -1001, 1, 999, 1_796_000_000_250] {
            let i = LabelInterval(fromMs: ms, toMs: 1_796_000_001_000, isAnomaly: true, anomalyType: "t")
            let back = try LabelFileParser.parseRequestBody(StoredIntervals.encode(i))
            #expect(back.first?.fromMs == ms, "\(ms) ms stored as \(String(decoding: StoredIntervals.encode(i), as: UTF8.self))")
        }
    }
}
