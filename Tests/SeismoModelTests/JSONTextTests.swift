import Foundation
import SeismoModel
import Testing

/// JSONText must produce JSON that a standard parser reads back to the same strings,
/// for every kind of character a label can hold.
@Suite struct JSONTextTests {
    static let samples: [String] = [
        "", "plain", "node_cpu_seconds_total", "with \"quotes\" and \\backslash\\",
        "line\nbreak\rreturn\ttab", "\u{0}\u{1}\u{1f}\u{7f}", "é ü ß 東京 🦀", "mixed \u{8} \u{c} end",
        String(repeating: "x", count: 300),
    ]

    @Test func quotedRoundTripsThroughJSONSerialization() throws {
        for s in Self.samples {
            let text = JSONText.quoted(s)
            let parsed = try JSONSerialization.jsonObject(with: Data("[\(text)]".utf8)) as? [String]
            #expect(parsed == [s], "\(text)")
        }
    }

    @Test func escapesAreTheShortForms() {
        #expect(JSONText.quoted("a\"b\\c\nd\re\tf") == #""a\"b\\c\nd\re\tf""#)
        #expect(JSONText.quoted("\u{1}\u{1f}") == #""\u0001\u001f""#)
        #expect(JSONText.quoted("é🦀") == "\"é🦀\"")
    }

    @Test func objectKeepsOrderAndRoundTrips() throws {
        let labels = Self.samples.enumerated().map { (name: "l\($0.offset)\u{1}", value: $0.element) }
        let text = JSONText.object(labels)
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String]
        #expect(parsed?.count == labels.count)
        for l in labels { #expect(parsed?[l.name] == l.value) }
        #expect(JSONText.object([]) == "{}")
        #expect(JSONText.object([("b", "1"), ("a", "2")]) == #"{"b":"1","a":"2"}"#)
    }
}
