import CSeismoChecksum

/// CRC-32C (Castagnoli), the checksum of WAL and catalog records and of Prometheus's
/// chunk and streamed-read frames. Uses the CPU's crc32 instruction when it has one
/// (x86-64 with SSE4.2: every sample's WAL bytes pass through here), else a slicing-by-8
/// table, which `tableChecksum` keeps callable so tests can compare the two.
public enum CRC32C {
    static let hardware = seismo_crc32c_hardware() == 1

    public static func checksum(_ buffer: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        guard hardware, let base = buffer.baseAddress else { return tableChecksum(buffer, seed: seed) }
        return ~seismo_crc32c_update(~seed, base, buffer.count)
    }

    static let tables: [[UInt32]] = {
        var t = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            t[0][i] = c
        }
        for i in 0..<256 {
            for k in 1..<8 { t[k][i] = (t[k - 1][i] >> 8) ^ t[0][Int(t[k - 1][i] & 0xFF)] }
        }
        return t
    }()

    public static func tableChecksum(_ buffer: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        var crc = ~seed
        let t = tables
        return t.withUnsafeBufferPointer { _ in
            var i = 0
            let n = buffer.count
            let t0 = t[0], t1 = t[1], t2 = t[2], t3 = t[3], t4 = t[4], t5 = t[5], t6 = t[6], t7 = t[7]
            while n - i >= 8 {
                let lo = (UInt32(buffer[i]) | UInt32(buffer[i + 1]) << 8 | UInt32(buffer[i + 2]) << 16 | UInt32(buffer[i + 3]) << 24) ^ crc
                crc = t7[Int(lo & 0xFF)] ^ t6[Int((lo >> 8) & 0xFF)] ^ t5[Int((lo >> 16) & 0xFF)] ^ t4[Int(lo >> 24)]
                    ^ t3[Int(buffer[i + 4])] ^ t2[Int(buffer[i + 5])] ^ t1[Int(buffer[i + 6])] ^ t0[Int(buffer[i + 7])]
                i += 8
            }
            while i < n {
                crc = t0[Int((crc ^ UInt32(buffer[i])) & 0xFF)] ^ (crc >> 8)
                i += 1
            }
            return ~crc
        }
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
