import SeismoModel
import XCTest

final class SeriesSelectorTests: XCTestCase {
    func testMetricNameOnly() throws {
        XCTAssertEqual(try SeriesSelector.parse("node_load1").matchers, [LabelMatcher(.equal, "__name__", "node_load1")])
        XCTAssertEqual(try SeriesSelector.parse(" job:rate5m ").matchers, [LabelMatcher(.equal, "__name__", "job:rate5m")])
    }

    func testAllFourMatcherTypesAndQuotes() throws {
        let s = try SeriesSelector.parse(#"up{a="x", b!='y', c=~`z.*`, d!~"w\"q",}"#)
        XCTAssertEqual(s.matchers, [
            LabelMatcher(.equal, "__name__", "up"),
            LabelMatcher(.equal, "a", "x"),
            LabelMatcher(.notEqual, "b", "y"),
            LabelMatcher(.regexMatch, "c", "z.*"),
            LabelMatcher(.regexNoMatch, "d", "w\"q"),
        ])
    }

    func testBracesOnlyAndEscapes() throws {
        let s = try SeriesSelector.parse(#"{__name__=~"node_.+", path="C:\\x\n\u00e9"}"#)
        XCTAssertEqual(s.matchers[1].value, "C:\\x\n\u{e9}")
        XCTAssertEqual(s.matchers[0], LabelMatcher(.regexMatch, "__name__", "node_.+"))
    }

    /// Found by the `selector` fuzz target (fuzz/regressions/selector): the parser walked
    /// grapheme clusters, so a quote followed by a combining mark (U+07AD here) was one
    /// character that is not a quote, and `\"` + mark was an "unknown escape". PromQL
    /// works on code points.
    func testCombiningMarksAfterQuotesAndEscapes() throws {
        let s = try SeriesSelector.parse("up{a=\"x\\\"\u{07AD}\", b=\"e\u{0301}\"}")
        XCTAssertEqual(s.matchers[1], LabelMatcher(.equal, "a", "x\"\u{07AD}"))
        XCTAssertEqual(s.matchers[2], LabelMatcher(.equal, "b", "e\u{0301}"))
        XCTAssertEqual(try SeriesSelector.parse(s.description), s)
        // A mark right after the closing quote is a stray character, not part of the quote.
        XCTAssertThrowsError(try SeriesSelector.parse("up{a=\"x\"\u{0301}}"))
    }

    func testErrorsNameTheProblemAndColumn() {
        func message(_ text: String) -> String {
            do { _ = try SeriesSelector.parse(text); return "parsed" } catch { return "\(error)" }
        }
        XCTAssertTrue(message("up{a=\"x\"").hasPrefix("missing closing '}'"), message("up{a=\"x\""))
        XCTAssertTrue(message("up{a==\"x\"}").hasPrefix("expected a quoted label value at column 6"), message("up{a==\"x\"}"))
        XCTAssertTrue(message("up{a=\"x}").hasPrefix("unterminated quoted string"))
        XCTAssertTrue(message("{}").hasPrefix("empty selector"))
        XCTAssertTrue(message(#"{a=~".*"}"#).hasPrefix("selector must contain at least one matcher"))
        XCTAssertTrue(message(#"{a!="x"}"#).hasPrefix("selector must contain at least one matcher"))
        XCTAssertTrue(message(#"up{a=~"(x"}"#).hasPrefix("invalid regex"))
        XCTAssertTrue(message("up x").hasPrefix("unexpected \"x\""))
        XCTAssertTrue(message(#"up{1a="x"}"#).hasPrefix("expected a label name"))
        XCTAssertEqual(message(#"{a=~".+"}"#), "parsed")
        XCTAssertEqual(message(#"{a!~""}"#), "parsed")
    }
}
