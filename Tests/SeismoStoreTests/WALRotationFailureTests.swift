import Foundation
import Testing
import SeismoModel
@testable import SeismoStore
#if canImport(Glibc)
import Glibc
#endif

/// A WAL rotation that cannot open its new file (disk full, directory gone) must leave
/// no stale descriptor number behind: the retry would close it again, and by then the
/// number may belong to another file or a client's socket.
@Suite struct WALRotationFailureTests {
    func record() -> [UInt8] {
        var bytes: [UInt8] = []
        let start = RecordLog.begin(&bytes)
        bytes.append(WALSamples.plainRecord)
        appendUVarint(0, to: &bytes)
        appendU64(1000, to: &bytes)
        appendU64(Double(1).bitPattern, to: &bytes)
        RecordLog.finish(&bytes, recordStart: start)
        return bytes
    }

    @Test func aFailedRotationDoesNotCloseAnotherFilesDescriptor() throws {
        let dir = makeTempDirectory() + "/wal"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let wal = WriteAheadLog(directory: dir, rotateBytes: 1)  // every append rotates
        try wal.openNewFile()
        try wal.append(record(), maxSecond: 1)
        try FileManager.default.removeItem(atPath: dir)
        #expect(throws: (any Error).self) { try wal.append(record(), maxSecond: 2) }
        // The lowest free number: the one the failed rotation just closed.
        let other = open("/dev/null", O_RDONLY)
        defer { close(other) }
        #expect(throws: (any Error).self) { try wal.append(record(), maxSecond: 3) }
        #expect(fcntl(other, F_GETFD) != -1, "the retry closed a descriptor it no longer owned")
        wal.close()
    }
}
