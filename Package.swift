// swift-tools-version:6.1
import PackageDescription

// Module layering (one-way): seismo (CLI) → SeismoServer → SeismoWire / SeismoStore
// → SeismoParquet / SeismoModel → C shims. Only SeismoServer and the CLI import
// SwiftNIO, so the core modules stay quick to build and test.
let package = Package(
    name: "seismo",
    products: [
        .executable(name: "seismo", targets: ["seismo"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // C libraries from Debian's -dev packages.
        .systemLibrary(name: "CSeismoSnappy", pkgConfig: "snappy", providers: [.apt(["libsnappy-dev"])]),
        .systemLibrary(name: "CSeismoProtobufC", pkgConfig: "libprotobuf-c", providers: [.apt(["libprotobuf-c-dev"])]),
        .systemLibrary(name: "CSeismoCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "CSeismoCurlShims", dependencies: ["CSeismoCurl"]),
        // glibc's malloc tuning (mallopt, malloc_trim) for the server's heap.
        .systemLibrary(name: "CSeismoMalloc"),
        .systemLibrary(name: "CSeismoPrefetch"),
        .systemLibrary(name: "CSeismoThreadName"),
        // protoc-c output (committed; regenerate with proto/generate.sh) + arena allocator.
        .target(name: "CSeismoPromPB", dependencies: ["CSeismoProtobufC"]),

        // Pure Swift core.
        // CRC-32C on the CPU's crc32 instruction (our code; no library).
        .target(name: "CSeismoChecksum"),
        .target(name: "SeismoModel", dependencies: ["CSeismoChecksum", "CSeismoThreadName"]),
        .target(name: "SeismoWire", dependencies: ["SeismoModel", "CSeismoSnappy", "CSeismoPromPB"]),
        .target(name: "SeismoParquet", dependencies: ["CSeismoSnappy"]),
        .target(
            name: "SeismoStore",
            dependencies: [
                "SeismoModel", "SeismoParquet", "CSeismoPrefetch",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // Training export: wide labeled tables (Parquet/CSV/TSV) from a data directory.
        .target(
            name: "SeismoExport",
            dependencies: [
                "SeismoModel", "SeismoStore", "SeismoParquet",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Streaming anomaly detectors: pure Swift, no I/O.
        .target(name: "SeismoDetect"),
        // Alert rules, alert state machine and the Alertmanager v2 sender (libcurl).
        .target(
            name: "SeismoAlerting",
            dependencies: [
                "SeismoModel", "SeismoDetect", "CSeismoCurlShims",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // Inline detection pipeline: store appends → detectors → scores + alerts.
        .target(
            name: "SeismoWatch",
            dependencies: [
                "SeismoModel", "SeismoStore", "SeismoDetect", "SeismoAlerting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // Alert/interval report: one self-contained HTML page with inline SVG charts.
        .target(
            name: "SeismoReport",
            dependencies: ["SeismoModel", "SeismoStore", "SeismoExport", "SeismoAlerting"]
        ),
        .target(
            name: "SeismoServer",
            dependencies: [
                "SeismoModel", "SeismoWire", "SeismoStore", "SeismoRemoteRead",
                "SeismoExport", "SeismoWatch", "SeismoAlerting", "SeismoReport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "seismo",
            dependencies: [
                "SeismoServer", "SeismoStore", "SeismoParquet", "SeismoExport", "SeismoDetect", "SeismoAlerting", "SeismoWatch", "SeismoReport",
                "CSeismoMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Shared by the test modules, fuzz/Harness and bench/HotPath only (deterministic
        // random numbers; SeriesIdBook, the stand-in store that teaches a decoder ids).
        .target(name: "SeismoTestSupport", dependencies: ["SeismoWire", "SeismoModel"], path: "Tests/SeismoTestSupport"),
        .testTarget(name: "CShimTests", dependencies: ["CSeismoSnappy", "CSeismoPromPB", "CSeismoCurlShims"]),
        .testTarget(name: "SeismoModelTests", dependencies: ["SeismoModel"]),
        .testTarget(name: "SeismoWireTests", dependencies: ["SeismoWire", "SeismoModel", "SeismoTestSupport"]),
        .testTarget(name: "SeismoParquetTests", dependencies: ["SeismoParquet", "SeismoTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "SeismoStoreTests", dependencies: ["SeismoStore", "SeismoModel", "SeismoParquet", "SeismoTestSupport"], exclude: ["Golden"]),
        .target(name: "SeismoRemoteRead", dependencies: ["SeismoModel"]),
        .testTarget(name: "SeismoRemoteReadTests", dependencies: ["SeismoRemoteRead", "SeismoModel", "SeismoTestSupport"]),
        .testTarget(name: "SeismoExportTests", dependencies: ["SeismoExport", "SeismoStore", "SeismoModel", "SeismoParquet"]),
        .testTarget(name: "SeismoReportTests", dependencies: ["SeismoReport", "SeismoExport", "SeismoStore", "SeismoAlerting", "SeismoModel"]),
        .testTarget(name: "SeismoDetectTests", dependencies: ["SeismoDetect", "SeismoTestSupport"]),
        .testTarget(name: "SeismoAlertingTests", dependencies: ["SeismoAlerting", "SeismoDetect", "SeismoModel"]),
        .testTarget(name: "SeismoWatchTests", dependencies: ["SeismoWatch", "SeismoStore", "SeismoDetect", "SeismoAlerting", "SeismoModel"]),
    ],
    swiftLanguageModes: [.v5]
)

// Micro-benchmarks are built only on request, so plain `swift build` / `swift test` skip them.
if Context.environment["ENABLE_BENCHMARKS"] != nil {
    package.targets.append(.executableTarget(
        name: "seismo-hotpath",
        dependencies: ["SeismoWire", "SeismoStore", "SeismoModel", "SeismoTestSupport", .product(name: "Logging", package: "swift-log")],
        path: "bench/HotPath"))
    package.targets.append(.executableTarget(
        name: "seismo-detectbench",
        dependencies: ["SeismoDetect"],
        path: "bench/DetectBench"))
    package.targets.append(.executableTarget(
        name: "seismo-headbench",
        dependencies: ["SeismoStore"],
        path: "bench/HeadPut"))
    package.targets.append(.executableTarget(
        name: "seismo-sealbench",
        dependencies: ["SeismoWire", "SeismoStore", "SeismoModel", .product(name: "Logging", package: "swift-log")],
        path: "bench/Seal"))
}

// libFuzzer targets (fuzz/run builds them with -sanitize=fuzzer,address into .build-fuzz);
// one binary, the target picked by SEISMO_FUZZ_TARGET. Built only on request.
if Context.environment["ENABLE_FUZZERS"] != nil {
    package.targets.append(.executableTarget(
        name: "seismo-fuzz",
        dependencies: ["SeismoWire", "SeismoModel", "SeismoStore", "SeismoExport", "SeismoParquet", "SeismoTestSupport"],
        path: "fuzz/Harness"))
}

// Release builds drop the run-time exclusivity checks (as the Swift standard library
// itself is built): on the ingest path they were one `swift_beginAccess` per class
// property touched per sample. Debug builds — every `swift test` run — keep them, so
// an overlapping access is still caught by the tests.
for target in package.targets where target.type == .regular || target.type == .executable {
    guard !target.name.hasPrefix("C") else { continue }
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))
    ]
}
