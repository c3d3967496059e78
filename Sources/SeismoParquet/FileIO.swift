#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func errnoText(_ code: Int32) -> String {
    String(cString: strerror(code))
}

/// Append-only buffered file output. Column chunks are streamed through it as
/// they are encoded, so a file with thousands of columns never sits in memory
/// whole; the 1 MiB buffer keeps small page headers from costing a syscall each.
final class FileOutput {
    let path: String
    private var fd: Int32
    private(set) var position: Int64 = 0
    private var buffer: [UInt8] = []
    private let bufferLimit = 1 << 20
    /// When set, bytes go to this callback instead of a file (streamed exports: stdout
    /// pipes and HTTP bodies); `path` is then only a name for error messages.
    private var sink: ((UnsafeRawBufferPointer) throws -> Void)?

    init(name: String, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        fd = -1
        path = name
        self.sink = sink
        buffer.reserveCapacity(bufferLimit)
    }

    init(path: String) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        self.path = path
        if fd < 0 { throw ParquetError(.io, path: path, "open for writing failed: \(errnoText(errno))") }
        buffer.reserveCapacity(bufferLimit)
    }

    deinit {
        if fd >= 0 { _ = Glibc.close(fd) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > bufferLimit { try flush() }
        if bytes.count >= bufferLimit {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
        position += Int64(bytes.count)
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    func flush() throws {
        if buffer.isEmpty { return }
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, optionally fsyncs, and closes. A failed fsync is reported: the
    /// caller must not rename a file whose durability is unknown.
    func finish(fsync doSync: Bool) throws {
        try flush()
        if sink != nil { return }
        if doSync && fsync(fd) != 0 {
            throw ParquetError(.io, path: path, "fsync failed: \(errnoText(errno))")
        }
        let rc = Glibc.close(fd)
        fd = -1
        if rc != 0 { throw ParquetError(.io, path: path, "close failed: \(errnoText(errno))") }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        if let sink {
            try sink(bytes)
            return
        }
        guard var p = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = Glibc.write(fd, p, left)
            if n < 0 {
                if errno == EINTR { continue }
                throw ParquetError(.io, path: path, offset: position, "write failed: \(errnoText(errno))")
            }
            p += n
            left -= n
        }
    }
}

/// Read-only file handle for positional reads; `pread` lets concurrent column
/// reads share one descriptor without seeking.
final class FileInput {
    let path: String
    let fd: Int32
    let size: Int64

    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw ParquetError(.io, path: path, "open failed: \(errnoText(errno))") }
        var st = stat()
        if fstat(fd, &st) != 0 {
            let e = errno
            _ = Glibc.close(fd)
            throw ParquetError(.io, path: path, "fstat failed: \(errnoText(e))")
        }
        size = Int64(st.st_size)
    }

    deinit { _ = Glibc.close(fd) }

    /// Reads exactly `count` bytes at `offset`; the range must lie in the file.
    func read(offset: Int64, count: Int, kind: ParquetError.Kind) throws -> [UInt8] {
        guard offset >= 0, count >= 0, offset <= size, Int64(count) <= size - offset else {
            throw ParquetError(kind, path: path, offset: offset, "range of \(count) bytes lies outside the \(size)-byte file")
        }
        var done = 0
        let out = try [UInt8](unsafeUninitializedCapacity: count) { buf, initialized in
            while done < count {
                let n = pread(fd, buf.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    initialized = done
                    throw ParquetError(.io, path: path, offset: offset + Int64(done), "read failed: \(errnoText(errno))")
                }
                if n == 0 { break }
                done += n
            }
            initialized = done
        }
        guard done == count else {
            throw ParquetError(kind, path: path, offset: offset + Int64(done), "file ended while reading \(count) bytes (it shrank?)")
        }
        return out
    }
}
