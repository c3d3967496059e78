// CRC-32C with the CPU's own instruction where there is one.
//
// Why C: Swift has no portable way to reach the SSE4.2 crc32 instruction. Every WAL
// record, catalog record and streamed remote-read frame is checksummed, and the table
// version in Swift cost ~140 instructions per ingested sample.
#ifndef CSEISMO_CHECKSUM_H
#define CSEISMO_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

// 1 when this CPU has a CRC-32C instruction that seismo_crc32c_update can use.
int seismo_crc32c_hardware(void);

// Updates a raw (not pre- or post-inverted) CRC-32C register over n bytes. Only call
// when seismo_crc32c_hardware() returned 1.
uint32_t seismo_crc32c_update(uint32_t crc, const void *data, size_t n);

#endif
