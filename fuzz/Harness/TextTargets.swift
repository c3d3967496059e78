import SeismoExport
import SeismoModel

/// Series selectors (`--match`, `match[]`, alert rules): a parsed selector holds at least
/// one matcher, and printing it gives text that parses back to the same matchers.
func fuzzSelector(_ input: UnsafeRawBufferPointer) {
    let text = String(decoding: input, as: UTF8.self)
    guard let selector = try? SeriesSelector.parse(text) else { return }
    check(!selector.matchers.isEmpty, "selector without matchers accepted")
    do {
        let again = try SeriesSelector.parse(selector.description)
        check(again == selector, "\(selector) reparsed as \(again)")
    } catch {
        violated("printed selector \(selector.description.debugDescription) does not parse: \(error)")
    }
}

/// Label files (JSON array, JSON lines, CSV, TSV) and `POST /api/v1/labels` bodies:
/// every interval accepted is non-empty and is an anomaly or a state, and survives the
/// JSON form the server stores it in (`StoredIntervals`).
/// Byte 0 picks the entry point: even → a label file, odd → a request body.
func fuzzLabelFile(_ input: UnsafeRawBufferPointer) {
    guard let mode = input.first else { return }
    let rest = Array(input.dropFirst())
    let intervals: [LabelInterval]
    do {
        intervals = mode & 1 == 0 ? try LabelFileParser.parse(text: String(decoding: rest, as: UTF8.self), name: "fuzz")
                                  : try LabelFileParser.parseRequestBody(rest)
    } catch is ExportError {
        return
    } catch {
        violated("unexpected error type \(error)")
    }
    for i in intervals {
        check(i.toMs > i.fromMs, "empty or reversed interval accepted")
        check(i.isAnomaly || i.state != nil, "interval that is neither anomaly nor state accepted")
        let stored = StoredIntervals.encode(i)
        do {
            let back = try LabelFileParser.parseRequestBody(stored)
            check(back.count == 1, "stored form holds \(back.count) intervals")
            var expected = i
            expected.origin = back[0].origin
            check(back[0] == expected, "\(i) stored and read back as \(back[0])")
        } catch {
            violated("stored form \(String(decoding: stored, as: UTF8.self)) of an accepted interval is refused: \(error)")
        }
    }
}
