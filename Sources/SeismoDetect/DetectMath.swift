// The only file that touches the C math library: the detectors need exp, log
// and erfc, and the standard library alone does not provide them.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

@usableFromInline
enum DetectMath {
    @inline(__always) @usableFromInline static func exp(_ x: Double) -> Double { _detectExp(x) }
    @inline(__always) @usableFromInline static func log(_ x: Double) -> Double { _detectLog(x) }
    @inline(__always) @usableFromInline static func sqrt(_ x: Double) -> Double { x.squareRoot() }
    /// Upper tail of the standard normal, Q(z) = P(Z > z) = erfc(z/√2)/2; exact
    /// far into the tail (no 1 - Φ cancellation), which the likelihood relies on.
    @inline(__always) @usableFromInline static func normalTail(_ z: Double) -> Double {
        0.5 * _detectErfc(z * 0.7071067811865476)
    }
}

// Module-qualified names differ per platform (Glibc.exp vs Darwin.exp), so the
// wrappers call the unqualified C functions from file scope.
@inline(__always) @usableFromInline func _detectExp(_ x: Double) -> Double { exp(x) }
@inline(__always) @usableFromInline func _detectLog(_ x: Double) -> Double { log(x) }
@inline(__always) @usableFromInline func _detectErfc(_ x: Double) -> Double { erfc(x) }
