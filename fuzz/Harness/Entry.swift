#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer entry point. One binary holds every target (one link instead of six);
/// `SEISMO_FUZZ_TARGET` picks the one to run (fuzz/run sets it). A target returns
/// normally for any input; a broken invariant calls `violated`, which aborts so
/// libFuzzer saves the input as a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
    selectedTarget(bytes)
    return 0
}

let targets: [String: (UnsafeRawBufferPointer) -> Void] = [
    "rw1": fuzzRemoteWrite1,
    "rw2": fuzzRemoteWrite2,
    "read": fuzzReadRequest,
    "labels": fuzzLabelFile,
    "selector": fuzzSelector,
    "wal": fuzzStoreRecords,
    "parquet": fuzzSegmentFile,
]

/// Resolved once: the environment does not change during a run.
let selectedTarget: (UnsafeRawBufferPointer) -> Void = {
    let name = getenv("SEISMO_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let target = targets[name] else {
        let known = targets.keys.sorted().joined(separator: ", ")
        fputs("seismo-fuzz: set SEISMO_FUZZ_TARGET to one of: \(known)\n", stderr)
        exit(2)
    }
    return target
}()

/// A broken invariant: print what and abort (libFuzzer then writes the crash input).
func violated(_ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    fputs("seismo-fuzz: invariant violated at \(file):\(line): \(message())\n", stderr)
    abort()
}

func check(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition { violated(message(), file: file, line: line) }
}

/// SwiftPM links an executable target with `main` aliased to `<module>_main`, so the
/// main of libFuzzer's runtime is never used; this one hands over to its driver.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

@_cdecl("seismo_fuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var vector = argv
    return runFuzzerDriver(&count, &vector) { data, size in fuzzOneInput(data, size) }
}
