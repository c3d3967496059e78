#include "CSeismoChecksum.h"

#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>

int seismo_crc32c_hardware(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2") ? 1 : 0;
}

// Compiled for SSE4.2 only here, so the rest of the binary keeps the baseline ISA;
// callers check seismo_crc32c_hardware() first.
__attribute__((target("sse4.2")))
uint32_t seismo_crc32c_update(uint32_t crc, const void *data, size_t n) {
    const unsigned char *p = data;
    uint64_t c = crc;
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n > 0) {
        c32 = _mm_crc32_u8(c32, *p);
        p++;
        n--;
    }
    return c32;
}

#else

int seismo_crc32c_hardware(void) { return 0; }

uint32_t seismo_crc32c_update(uint32_t crc, const void *data, size_t n) {
    (void)data;
    (void)n;
    return crc;  // never called: seismo_crc32c_hardware() is 0
}

#endif
