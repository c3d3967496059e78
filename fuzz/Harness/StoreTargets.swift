import SeismoModel
@testable import SeismoStore

// Store record parsing (WAL files, the series catalog). Byte 0 picks what and how:
//   bit 0: 0 = WAL file, 1 = catalog file;
//   bit 1: 0 = the rest is the file as is (exercises the framing: lengths, checksums,
//          torn tails); 1 = the rest is a list of payloads (u8 length + bytes, 0 → 300)
//          that the harness frames with correct checksums, so mutations reach the
//          payload parsers instead of dying on a checksum mismatch.

func fuzzStoreRecords(_ input: UnsafeRawBufferPointer) {
    guard let mode = input.first else { return }
    let rest = UnsafeRawBufferPointer(rebasing: input.dropFirst())
    let file = mode & 2 == 0 ? Array(rest) : frame(payloads: rest)
    if mode & 1 == 0 { checkWAL(file) } else { checkCatalog(file) }
}

private func frame(payloads raw: UnsafeRawBufferPointer) -> [UInt8] {
    var out: [UInt8] = []
    var i = 0
    while i < raw.count {
        let n = raw[i] == 0 ? 300 : Int(raw[i])
        let payload = UnsafeRawBufferPointer(rebasing: raw[(i + 1)..<min(raw.count, i + 1 + n)])
        RecordLog.frame(payload, into: &out)
        i += 1 + n
    }
    return out
}

/// Damaged ranges are ordered, disjoint and inside the file; the bytes outside them are
/// intact records holding exactly the samples handed out; re-framing those samples
/// gives a file that parses cleanly to the same samples.
private func checkWAL(_ file: [UInt8]) {
    var samples: [(UInt32, Int64, UInt64)] = []
    let parsed = WriteAheadLog.parseFile(file) { samples.append(($0, $1, $2)) }
    check(parsed.samples == samples.count, "sample count \(parsed.samples) != \(samples.count) handed out")
    var intact: [UInt8] = []
    var at = 0
    for d in parsed.damage {
        check(d.start >= at && d.start < d.end && d.end <= file.count, "damage ranges out of order: \(parsed.damage)")
        intact += file[at..<d.start]
        at = d.end
    }
    intact += file[at...]
    if let stop = parsed.stoppedAt {
        check(parsed.damage.last?.start == stop && parsed.damage.last?.end == file.count, "stop is not the last damage")
    } else {
        check(!parsed.tornTail, "torn tail without a stop")
    }
    var fromIntact: [(UInt32, Int64, UInt64)] = []
    let clean = WriteAheadLog.parseFile(intact) { fromIntact.append(($0, $1, $2)) }
    check(clean.damage.isEmpty, "the intact bytes do not parse cleanly: \(clean.damage)")
    check(fromIntact.elementsEqual(samples, by: { $0 == $1 }), "the intact bytes hold other samples")

    var payload: [UInt8] = [WALSamples.plainRecord]
    for (id, t, bits) in samples {
        appendUVarint(UInt64(id), to: &payload)
        appendU64(UInt64(bitPattern: t), to: &payload)
        appendU64(bits, to: &payload)
    }
    var reframed: [UInt8] = []
    payload.withUnsafeBytes { RecordLog.frame($0, into: &reframed) }
    var again: [(UInt32, Int64, UInt64)] = []
    let second = WriteAheadLog.parseFile(reframed) { again.append(($0, $1, $2)) }
    check(second.damage.isEmpty && second.maxSecond == parsed.maxSecond, "re-framed samples do not parse back")
    check(again.elementsEqual(samples, by: { $0 == $1 }), "re-framed samples differ")
}

/// Loading keeps exactly the valid prefix: series ids stay dense, and loading only the
/// prefix gives the same catalog with no problem.
private func checkCatalog(_ file: [UInt8]) {
    let catalog = SeriesCatalog(path: "/nonexistent/fuzz")
    let bad = catalog.apply(file)
    check((bad?.offset ?? file.count) <= file.count, "stop offset past the end")
    let prefix = SeriesCatalog(path: "/nonexistent/fuzz")
    check(prefix.apply(Array(file[..<(bad?.offset ?? file.count)])) == nil, "valid prefix does not load cleanly")
    check(prefix.seriesCount == catalog.seriesCount && prefix.metadata == catalog.metadata, "prefix loads differently")
    for id in 0..<UInt32(catalog.seriesCount) { check(prefix.index.key(of: id) == catalog.index.key(of: id), "key of \(id) differs") }
}
