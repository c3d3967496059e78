#if canImport(Glibc)
import Glibc
#endif

/// Appends bytes to a small append-only file and makes them durable before returning:
/// the label interval log (SeismoStore) and the alert history (SeismoAlerting) both
/// answer "stored" only after this, and both need the same steps — create the directory
/// and file on first use, write everything (retrying short writes and EINTR), fsync the
/// file, and fsync the directory when the file is new so its entry survives a crash.
public enum DurableAppend {
    public struct Failure: Error, CustomStringConvertible {
        public let operation: String
        public let path: String
        public let errno: Int32
        public var description: String { "\(operation) \(path): \(String(cString: strerror(errno))) (errno \(errno))" }
    }

    /// `separator`: for line-oriented files, the byte every record ends with. When the
    /// file's last byte is not it (a line torn by an earlier crash), one is written
    /// first, so the torn line cannot glue itself onto the new record.
    public static func append(_ bytes: [UInt8], path: String, directory: String, separator: UInt8? = nil) throws {
        guard !bytes.isEmpty else { return }
        let created = access(path, F_OK) != 0
        if created { try makeDirectories(directory) }
        // Read-write, so the last byte can be checked for a torn line.
        let fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        if !created, let separator, let last = lastByte(fd), last != separator {
            try writeAll(fd, [separator], path: path)
        }
        try writeAll(fd, bytes, path: path)
        guard fsync(fd) == 0 else { throw Failure(operation: "fsync", path: path, errno: errno) }
        if created {
            let d = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard d >= 0 else { throw Failure(operation: "open", path: directory, errno: errno) }
            defer { close(d) }
            guard fsync(d) == 0 else { throw Failure(operation: "fsync", path: directory, errno: errno) }
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure(operation: "write", path: path, errno: errno) }
            offset += n
        }
    }

    private static func lastByte(_ fd: Int32) -> UInt8? {
        let size = lseek(fd, 0, SEEK_END)
        guard size > 0 else { return nil }
        var b: UInt8 = 0
        return pread(fd, &b, 1, size - 1) == 1 ? b : nil
    }

    /// `mkdir -p`; an existing directory is fine.
    private static func makeDirectories(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw Failure(operation: "mkdir", path: prefix, errno: errno)
            }
        }
    }
}
