import SeismoModel
import Testing

/// The instruction-based CRC-32C and the table version must agree on every length and
/// alignment (the instruction path works in 8-byte words plus a byte tail), and both
/// must give the standard check value.
@Suite struct CRC32CTests {
    @Test func checkValue() {
        let bytes = Array("123456789".utf8)
        #expect(bytes.withUnsafeBytes { CRC32C.checksum($0) } == 0xE306_9283)
        #expect(bytes.withUnsafeBytes { CRC32C.tableChecksum($0) } == 0xE306_9283)
        #expect([UInt8]().withUnsafeBytes { CRC32C.checksum($0) } == 0)
    }

    @Test func instructionAndTableAgree() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var bytes: [UInt8] = []
        for _ in 0..<300 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            bytes.append(UInt8(truncatingIfNeeded: state >> 33))
        }
        bytes.withUnsafeBytes { all in
            for start in 0..<9 {
                for length in 0...(all.count - start) where length < 80 || length % 37 == 0 {
                    let slice = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                    for seed: UInt32 in [0, 0xDEAD_BEEF] {
                        #expect(CRC32C.checksum(slice, seed: seed) == CRC32C.tableChecksum(slice, seed: seed),
                                "start \(start) length \(length)")
                    }
                }
            }
        }
    }
}
