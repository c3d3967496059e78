#if canImport(Glibc)
import Glibc
#endif
import SeismoExport

/// Output files appear whole or not at all: written to a hidden temporary name beside the
/// target, then renamed; on any error the temporary file is removed. Not fsynced: an
/// export can be re-run, and syncing a multi-GB file would double the wall time.
enum AtomicOutput {
    static func write(to path: String, _ body: (@escaping (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[..<$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let tmp = (dir.isEmpty ? "" : dir + "/") + ".\(base).tmp-\(getpid())"
        var fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ExportError(.io, "cannot create \(tmp): \(String(cString: strerror(errno)))") }
        do {
            try body { try writeAll(fd, $0, name: path) }
            let rc = close(fd)
            fd = -1
            guard rc == 0 else { throw ExportError(.io, "close \(tmp): \(String(cString: strerror(errno)))") }
            guard rename(tmp, path) == 0 else { throw ExportError(.io, "rename \(tmp) to \(path): \(String(cString: strerror(errno)))") }
        } catch {
            if fd >= 0 { close(fd) }
            unlink(tmp)
            throw error
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, name: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw ExportError(.io, "writing \(name): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }
}
