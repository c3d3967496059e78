extension ParquetFileReader {
    /// Reads series column `index` (DOUBLE or whole-number INT64, see `readDoubleColumn`)
    /// straight into caller buffers: row `r` of the file goes
    /// to `values[r - firstRow]` / `presence[r - firstRow] = 1` when `firstRow <= r` and
    /// `r - firstRow < values.count`; nulls leave the buffers untouched.
    ///
    /// The export fills one row-group window of thousands of columns this way; going
    /// through `readDoubleColumn`'s `[UInt64?]` would allocate and copy every cell twice.
    /// Rows must map 1:1 to seconds (segment files have no gaps, see storage-format §5).
    public func scatterDoubleColumn(_ index: Int, firstRow: Int,
                                    values: UnsafeMutableBufferPointer<UInt64>,
                                    presence: UnsafeMutableBufferPointer<UInt16>) throws -> Int {
        let integer = try checkSeriesColumn(index)
        let limit = values.count
        var row = 0
        var stored = 0
        try forEachDataPage(index) { page in
            let present = try page.definitionLevels()
            let plain = try page.seriesValueBytes(valuesStart: present.valuesStart, count: present.nonNull, integer: integer)
            plain.bytes.withUnsafeBytes { raw in
                var at = plain.start
                if let levels = present.levels {
                    for level in levels {
                        if level != 0 {
                            let k = row - firstRow
                            if k >= 0 && k < limit {
                                values[k] = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self))
                                presence[k] = 1
                                stored += 1
                            }
                            at += 8
                        }
                        row += 1
                    }
                } else {
                    for _ in 0..<present.nonNull {
                        let k = row - firstRow
                        if k >= 0 && k < limit {
                            values[k] = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self))
                            presence[k] = 1
                            stored += 1
                        }
                        at += 8
                        row += 1
                    }
                }
            }
        }
        return stored
    }
}
