#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The strings protobuf-c hands over — NUL-terminated copies, or nil where absent — as
/// bytes or Swift strings. One home for what the protobuf-c based decoders (1.0 oracle,
/// 2.0, read requests) each had a copy of; `empty` also serves the 1.0 walker.
enum CStrings {
    /// A shared empty string (one NUL byte, never freed): a valid pointer for a string of
    /// length 0, where a field is absent.
    static let empty: UnsafePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        p.initialize(to: 0)
        return UnsafePointer(p)
    }()

    /// Byte length of a C string; 0 for nil.
    @inline(__always)
    static func length(_ s: UnsafeMutablePointer<CChar>?) -> Int {
        guard let s else { return 0 }
        return strlen(s)
    }

    /// A C string's bytes and length (`empty` for nil).
    @inline(__always)
    static func bytes(_ s: UnsafeMutablePointer<CChar>?) -> (UnsafePointer<UInt8>, Int) {
        guard let s else { return (empty, 0) }
        return (UnsafeRawPointer(s).assumingMemoryBound(to: UInt8.self), strlen(s))
    }

    /// A C string as a Swift string (invalid UTF-8 repaired); "" for nil.
    static func string(_ s: UnsafeMutablePointer<CChar>?) -> String {
        guard let s else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: s, count: strlen(s)), as: UTF8.self)
    }
}
