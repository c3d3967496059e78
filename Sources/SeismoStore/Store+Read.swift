import Foundation
import SeismoModel
import SeismoParquet

extension Store {
    /// The samples of every series matching `matchers` with a per-second timestamp in
    /// `[fromMs, toMs]`, series in label order, samples in time order.
    ///
    /// Reads only what it needs: the head cells of the matching series (copied under the
    /// lock), and from each overlapping segment only the matching series' column chunks
    /// (the column-group file is found from the series id; a column is read by offset).
    public func select(_ matchers: [LabelMatcher], fromMs: Int64, toMs: Int64) throws -> [SeriesSamples] {
        let matcher = try SeriesMatcher(matchers)
        let fromSecond = floorDiv(fromMs + 999, 1000)
        let toSecond = floorDiv(toMs, 1000)
        guard fromSecond <= toSecond else { return [] }

        var selected: [(id: UInt32, labels: [(name: String, value: String)], name: String)] = []
        // Per selected series (by position in `selected`), cells in time order: from the
        // head (copied under the lock) and from the segments (read after it).
        var fromHead: [Cells] = []
        lock.lock()
        for id in 0..<UInt32(catalog.seriesCount) {
            let labels = catalog.labels(of: id)
            if matcher.matches(labels) { selected.append((id, labels, LabelKey.selector(labels))) }
        }
        fromHead = Array(repeating: Cells(), count: selected.count)
        // Head first (with segments being sealed): a segment that commits while we read the
        // files below then holds seconds we already have, which the merge skips.
        let buffers = (Array(head.segments.values) + sealing.map(\.buffer) + sealRetry.map(\.buffer)).sorted { $0.start < $1.start }
        for (k, s) in selected.enumerated() {
            // Reserve once per series: the copy below runs with the store lock held.
            let capacity = buffers.reduce(0) { $0 + $1.sampleCount(of: s.id) }
            guard capacity > 0 else { continue }
            fromHead[k].reserve(capacity)
            for buffer in buffers {
                // Buffers are visited in time order; `append` skips a second already held.
                buffer.forEachCell(of: s.id, seconds: fromSecond..<(toSecond + 1)) { second, _, bits in
                    fromHead[k].append(second: second, bits: bits)
                }
            }
        }
        lock.unlock()
        guard !selected.isEmpty else { return [] }

        var fromSegments = Array(repeating: Cells(), count: selected.count)
        for segment in directory.listSegments() where segment.end > fromSecond && segment.start <= toSecond {
            readSegment(segment, selected: selected, fromSecond: fromSecond, toSecond: toSecond, into: &fromSegments)
        }

        var out: [SeriesSamples] = []
        out.reserveCapacity(selected.count)
        for k in selected.indices.sorted(by: { Self.labelsPrecede(selected[$0].labels, selected[$1].labels) }) {
            // Segments hold the older seconds; head cells come after the last sealed one.
            var merged = fromSegments[k]
            merged.appendNewer(fromHead[k])
            guard !merged.timestampsMs.isEmpty else { continue }
            out.append(SeriesSamples(labels: selected[k].labels, timestampsMs: merged.timestampsMs, valueBits: merged.valueBits))
        }
        return out
    }

    /// One series' cells in ascending time order.
    struct Cells {
        var timestampsMs: [Int64] = []
        var valueBits: [UInt64] = []

        @inline(__always)
        mutating func append(second: Int64, bits: UInt64) {
            let t = second * 1000
            // Segments are listed in time order, but a segment sealed twice around a crash
            // never overlaps; skipping non-increasing seconds keeps the result strictly sorted.
            if let last = timestampsMs.last, last >= t { return }
            timestampsMs.append(t)
            valueBits.append(bits)
        }

        mutating func reserve(_ n: Int) {
            timestampsMs.reserveCapacity(timestampsMs.count + n)
            valueBits.reserveCapacity(valueBits.count + n)
        }

        mutating func appendNewer(_ other: Cells) {
            let after = timestampsMs.last ?? Int64.min
            guard let first = other.timestampsMs.firstIndex(where: { $0 > after }) else { return }
            timestampsMs.append(contentsOf: other.timestampsMs[first...])
            valueBits.append(contentsOf: other.valueBits[first...])
        }
    }

    /// Prometheus' label-set order (labels.Compare): pairwise by name, then value, bytewise;
    /// a prefix sorts first.
    static func labelsPrecede(_ a: [(name: String, value: String)], _ b: [(name: String, value: String)]) -> Bool {
        for (x, y) in zip(a, b) {
            if x.name != y.name { return x.name.utf8.lexicographicallyPrecedes(y.name.utf8) }
            if x.value != y.value { return x.value.utf8.lexicographicallyPrecedes(y.value.utf8) }
        }
        return a.count < b.count
    }

    /// Adds the cells of the selected series held by one segment. A file or column that
    /// fails to decode is reported (`StorageProblem`) and skipped: the query is answered
    /// from everything else rather than failed.
    private func readSegment(_ segment: DataDirectory.SegmentName,
                             selected: [(id: UInt32, labels: [(name: String, value: String)], name: String)],
                             fromSecond: Int64, toSecond: Int64,
                             into cells: inout [Cells]) {
        let path = directory.segmentPath(segment)
        let files = FileIO.listDirectory(path).filter { $0.hasSuffix(".parquet") }
        var readers: [String: (reader: ParquetFileReader, columns: [String: Int], timestamps: [Int64]?)] = [:]
        var unreadable: Set<String> = []
        func open(_ file: String) -> (reader: ParquetFileReader, columns: [String: Int], timestamps: [Int64]?)? {
            if let r = readers[file] { return r }
            guard !unreadable.contains(file) else { return nil }
            do {
                let reader = try ParquetFileReader(path: path + "/" + file)
                var columns: [String: Int] = [:]
                for (i, c) in reader.columns.enumerated() where i > 0 { columns[c.name] = i }
                let entry = (reader, columns, [Int64]?.none)
                readers[file] = entry
                return entry
            } catch {
                report(.segment(path + "/" + file, error))
                unreadable.insert(file)
                return nil
            }
        }
        for (k, s) in selected.enumerated() {
            // The file of the series' id range first; other files only if the series is not
            // there (columns_per_file may have been different when the segment was written).
            let preferred = DataDirectory.columnGroupFileName(Int(s.id) / config.columnsPerFile)
            let order = files.contains(preferred) ? [preferred] + files.filter { $0 != preferred } : files
            for file in order {
                guard var entry = open(file), let index = entry.columns[s.name] else { continue }
                do {
                    if entry.timestamps == nil {
                        entry.timestamps = try entry.reader.readInt64Column(0)
                        readers[file] = entry
                    }
                    let timestamps = entry.timestamps!
                    let values = try entry.reader.readDoubleColumn(index)
                    for (row, v) in values.enumerated() {
                        guard let v else { continue }
                        let second = floorDiv(timestamps[row], 1000)
                        if second >= fromSecond && second <= toSecond { cells[k].append(second: second, bits: v) }
                    }
                } catch {
                    report(.segment(path + "/" + file, error))
                    // Without its timestamps no column of the file can be placed in time.
                    if entry.timestamps == nil {
                        unreadable.insert(file)
                        readers[file] = nil
                    }
                }
                break
            }
        }
    }
}
