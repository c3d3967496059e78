import Testing
@testable import SeismoExport

@Suite struct TimeParsingTests {
    @Test func unixSeconds() throws {
        #expect(try ExportTime.parseMilliseconds("1579033135") == 1_579_033_135_000)
        #expect(try ExportTime.parseMilliseconds(" 1579033135.25 ") == 1_579_033_135_250)
        #expect(try ExportTime.parseMilliseconds("0.0019") == 1)
        #expect(try ExportTime.parseMilliseconds("-1.5") == -1500)
    }

    @Test func rfc3339() throws {
        #expect(try ExportTime.parseMilliseconds("2020-01-14T20:18:55Z") == 1_579_033_135_000)
        #expect(try ExportTime.parseMilliseconds("2020-01-14T21:18:55+01:00") == 1_579_033_135_000)
        #expect(try ExportTime.parseMilliseconds("2020-01-14T20:18:55.5Z") == 1_579_033_135_500)
        #expect(try ExportTime.parseMilliseconds("2024-02-29t00:00:00-00:30") == 1_709_166_600_000)
        #expect(ExportTime.rfc3339(seconds: 1_579_033_135) == "2020-01-14T20:18:55Z")
    }

    @Test func errorsNameTheProblem() {
        func message(_ s: String) -> String {
            do { _ = try ExportTime.parseMilliseconds(s); return "" } catch { return "\(error)" }
        }
        #expect(message("yesterday").contains("neither Unix seconds nor RFC 3339"))
        #expect(message("2023-02-29T00:00:00Z").contains("no such date"))
        #expect(message("2020-01-14T20:18:55.5").contains("missing time zone"))
        #expect(message("2020-01-14").contains("needs date, time and zone"))
        #expect(message("").contains("empty time"))
    }

    /// Found by the `labels` fuzz target (fuzz/regressions/labels/time-beyond-year-9999):
    /// 719607960001050.2 s parsed, but its stored JSON number came back 50 ms off (beyond
    /// 2^53 ms a double cannot hold every millisecond). Times past year 9999 are refused.
    @Test func timesBeyondYear9999AreRefused() throws {
        #expect(try ExportTime.parseMilliseconds("253402300799.999") == 253_402_300_799_999)
        #expect(try ExportTime.parseMilliseconds("-253402300799") == -253_402_300_799_000)
        for text in ["719607960001050.2", "253402300800", "-253402300800.5"] {
            #expect(throws: ExportError.self, "\(text)") { try ExportTime.parseMilliseconds(text) }
        }
    }
}
