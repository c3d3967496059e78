import CSeismoCurlShims
import CSeismoPromPB
import CSeismoSnappy
import Testing

/// Smoke tests that the C libraries link and the shims behave; the real users of
/// each library have their own tests.
@Test func snappyRoundTrip() {
    let input = Array(repeating: UInt8(ascii: "a"), count: 10_000)
    var compressedLength = snappy_max_compressed_length(input.count)
    var compressed = [CChar](repeating: 0, count: compressedLength)
    let status = input.withUnsafeBufferPointer { src in
        src.withMemoryRebound(to: CChar.self) { snappy_compress($0.baseAddress, input.count, &compressed, &compressedLength) }
    }
    #expect(status == SNAPPY_OK)
    var declared = 0
    #expect(snappy_uncompressed_length(compressed, compressedLength, &declared) == SNAPPY_OK)
    #expect(declared == input.count)
}

@Test func arenaResetsAndReuses() throws {
    let arena = try #require(seismo_arena_create(4096))
    defer { seismo_arena_destroy(arena) }
    let allocator = seismo_arena_allocator(arena)
    for _ in 0..<3 {
        for _ in 0..<1000 { _ = allocator.pointee.alloc(allocator.pointee.allocator_data, 100) }
        #expect(seismo_arena_used(arena) == 1000 * 112)
        seismo_arena_reset(arena)
        #expect(seismo_arena_used(arena) == 0)
    }
}

@Test func curlShimSetsTypedOptions() throws {
    let handle = try #require(curl_easy_init())
    defer { curl_easy_cleanup(handle) }
    #expect(cseismo_curl_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, 1500) == CURLE_OK)
    #expect(cseismo_curl_easy_setopt_string(handle, CURLOPT_URL, "http://127.0.0.1:1/") == CURLE_OK)
}
