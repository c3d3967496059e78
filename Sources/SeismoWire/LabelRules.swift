import SeismoModel

/// Byte-level checks of the remote-write 1.0 label rules. All work on raw UTF-8 bytes
/// so the hot path never builds a String.
enum LabelRules {
    // Character classes as bitmasks over ASCII: bit b of (hi, lo) is set when byte b
    // belongs to the class. One shift and mask per byte, no branches per range.
    static let digitsLo: UInt64 = 0x03FF_0000_0000_0000  // '0'...'9' (48...57)
    static let colonLo: UInt64 = 1 << 58  // ':'
    static let lettersUnderscoreHi: UInt64 = 0x07FF_FFFE_87FF_FFFE  // 'A'...'Z', '_', 'a'...'z'

    @inline(__always)
    static func inClass(_ b: UInt8, lo: UInt64, hi: UInt64) -> Bool {
        let mask = b < 64 ? lo : (b < 128 ? hi : 0)
        return (mask >> UInt64(b & 63)) & 1 != 0
    }

    /// Label names: `[a-zA-Z_][a-zA-Z0-9_]*`.
    static func isValidLabelName(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        guard n > 0, inClass(p[0], lo: 0, hi: lettersUnderscoreHi) else { return false }
        var i = 1
        while i < n {
            if !inClass(p[i], lo: digitsLo, hi: lettersUnderscoreHi) { return false }
            i += 1
        }
        return true
    }

    /// Metric names: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    static func isValidMetricName(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        guard n > 0, inClass(p[0], lo: colonLo, hi: lettersUnderscoreHi) else { return false }
        var i = 1
        while i < n {
            if !inClass(p[i], lo: digitsLo | colonLo, hi: lettersUnderscoreHi) { return false }
            i += 1
        }
        return true
    }

    /// Is this name `__name__`?
    @inline(__always)
    static func isMetricNameLabel(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        guard n == 8 else { return false }
        // "__name__" as a little-endian UInt64.
        let word = UnsafeRawPointer(p).loadUnaligned(as: UInt64.self)
        return word == 0x5F5F_656D_616E_5F5F
    }

    /// Bytewise comparison, shorter-is-smaller on a common prefix (Go string order).
    @inline(__always)
    static func compare(_ a: UnsafePointer<UInt8>, _ an: Int, _ b: UnsafePointer<UInt8>, _ bn: Int) -> Int {
        let n = min(an, bn)
        var i = 0
        while i < n {
            let x = a[i], y = b[i]
            if x != y { return x < y ? -1 : 1 }
            i += 1
        }
        return an == bn ? 0 : (an < bn ? -1 : 1)
    }

    /// Strict UTF-8 (as Go's utf8.Valid): no overlong forms, no surrogates, nothing above
    /// U+10FFFF, no truncated sequences.
    static func isValidUTF8(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        var i = 0
        // ASCII fast path, eight bytes at a time.
        while n - i >= 8 {
            if UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { break }
            i += 8
        }
        while i < n {
            let b0 = p[i]
            if b0 < 0x80 {
                i += 1
                continue
            }
            @inline(__always) func cont(_ k: Int) -> UInt8? {
                guard i + k < n else { return nil }
                let c = p[i + k]
                return c & 0xC0 == 0x80 ? c : nil
            }
            if b0 < 0xC2 { return false }  // stray continuation byte or overlong 2-byte form
            if b0 < 0xE0 {
                guard cont(1) != nil else { return false }
                i += 2
            } else if b0 < 0xF0 {
                guard let b1 = cont(1), cont(2) != nil else { return false }
                if b0 == 0xE0 && b1 < 0xA0 { return false }  // overlong
                if b0 == 0xED && b1 >= 0xA0 { return false }  // UTF-16 surrogates
                i += 3
            } else if b0 < 0xF5 {
                guard let b1 = cont(1), cont(2) != nil, cont(3) != nil else { return false }
                if b0 == 0xF0 && b1 < 0x90 { return false }  // overlong
                if b0 == 0xF4 && b1 >= 0x90 { return false }  // above U+10FFFF
                i += 4
            } else {
                return false
            }
        }
        return true
    }
}

/// Checks a series' labels one at a time, in the order received, and appends each to the
/// series' canonical key. Shared by the remote-write 1.0 and 2.0 decoders so both refuse
/// exactly the same label sets for exactly the same reasons.
struct SeriesKeyBuilder {
    private let limits: WireLimits
    private var labelCount = 0
    private var prevName: UnsafePointer<UInt8>?
    private var prevLength = 0
    private var sawMetricName = false
    /// Whether the label just added was `__name__` (2.0 needs its symbol reference).
    private(set) var lastWasMetricName = false

    init(limits: WireLimits) {
        self.limits = limits
    }

    /// Validates one label and appends it to `key`; returns the first rule it breaks (the
    /// caller then drops the partial key and refuses the series).
    mutating func add(name: UnsafePointer<UInt8>, _ nameLength: Int,
                      value: UnsafePointer<UInt8>, _ valueLength: Int,
                      to key: inout [UInt8]) -> RejectionReason? {
        lastWasMetricName = false
        labelCount += 1
        if labelCount > limits.maxLabelsPerSeries { return .tooManyLabels }
        if nameLength == 0 { return .emptyLabelName }
        if nameLength > limits.maxLabelNameBytes { return .labelNameTooLong }
        if valueLength > limits.maxLabelValueBytes { return .labelValueTooLong }
        if let prev = prevName {
            let order = LabelRules.compare(prev, prevLength, name, nameLength)
            if order == 0 { return .duplicateLabelName }
            if order > 0 { return .unsortedLabels }
        }
        prevName = name
        prevLength = nameLength
        if !LabelRules.isValidLabelName(name, nameLength) {
            return LabelRules.isValidUTF8(name, nameLength) ? .invalidLabelName : .invalidUTF8
        }
        if valueLength == 0 { return .emptyLabelValue }
        if !LabelRules.isValidUTF8(value, valueLength) { return .invalidUTF8 }
        if LabelRules.isMetricNameLabel(name, nameLength) {
            if !LabelRules.isValidMetricName(value, valueLength) { return .invalidMetricName }
            sawMetricName = true
            lastWasMetricName = true
        }
        LabelKey.append(
            name: UnsafeRawBufferPointer(start: name, count: nameLength),
            value: UnsafeRawBufferPointer(start: value, count: valueLength),
            to: &key)
        return nil
    }

    /// The rule left to check once every label is in: a `__name__` must have been seen.
    func finish() -> RejectionReason? { sawMetricName ? nil : .missingMetricName }
}
