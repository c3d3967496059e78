#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin POSIX file helpers. The store needs exact control over write/fsync/rename
/// ordering for its crash guarantees, which Foundation's FileHandle does not expose.
enum FileIO {
    struct Failure: Error, CustomStringConvertible {
        let operation: String
        let path: String
        let errno: Int32
        var description: String { "\(operation) \(path): \(String(cString: strerror(errno))) (errno \(errno))" }
    }

    static func open(_ path: String, flags: Int32, mode: mode_t = 0o644) throws -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        if fd < 0 { throw Failure(operation: "open", path: path, errno: errno) }
        return fd
    }

    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < buffer.count {
            let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(operation: "write", path: path, errno: errno)
            }
            offset += n
        }
    }

    /// Writes all of `buffer` at `offset`, whatever the file position (the WAL writes into
    /// a zero-filled file, so appending at the end of the file would be wrong).
    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, at offset: Int, path: String) throws {
        var done = 0
        while done < buffer.count {
            let n = pwrite(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(operation: "write", path: path, errno: errno)
            }
            done += n
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { try writeAll(fd, $0, path: path) }
    }

    static func fsync(_ fd: Int32, path: String) throws {
        if fdatasync(fd) != 0 { throw Failure(operation: "fsync", path: path, errno: errno) }
    }

    /// fsyncs a directory so that renames and unlinks inside it are durable.
    static func fsyncDirectory(_ path: String) throws {
        let fd = try open(path, flags: O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        if Glibc.fsync(fd) != 0 { throw Failure(operation: "fsync dir", path: path, errno: errno) }
    }

    static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw Failure(operation: "mkdir", path: path, errno: errno) }
    }

    static func rename(_ from: String, _ to: String) throws {
        if Glibc.rename(from, to) != 0 { throw Failure(operation: "rename", path: "\(from) -> \(to)", errno: errno) }
    }

    static func fileSize(_ path: String) -> Int64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int64(st.st_size)
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return false }
        return (st.st_mode & S_IFMT) == S_IFDIR
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func listDirectory(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func readFile(_ path: String) throws -> [UInt8] {
        let fd = try open(path, flags: O_RDONLY)
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(operation: "read", path: path, errno: errno)
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    /// Removes a file or a directory tree.
    static func removeTree(_ path: String) {
        if isDirectory(path) {
            for name in listDirectory(path) { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// Total bytes of regular files under `path`.
    static func treeSize(_ path: String) -> Int64 {
        if isDirectory(path) {
            return listDirectory(path).reduce(0) { $0 + treeSize(path + "/" + $1) }
        }
        return fileSize(path) ?? 0
    }

    /// Writes a small file atomically: tmp → fsync → rename → fsync dir.
    static func writeAtomically(_ bytes: [UInt8], to path: String, directory: String) throws {
        let tmp = path + ".tmp"
        let fd = try open(tmp, flags: O_WRONLY | O_CREAT | O_TRUNC)
        do {
            try writeAll(fd, bytes, path: tmp)
            if Glibc.fsync(fd) != 0 { throw Failure(operation: "fsync", path: tmp, errno: errno) }
        } catch {
            close(fd)
            throw error
        }
        close(fd)
        try rename(tmp, path)
        try fsyncDirectory(directory)
    }
}
