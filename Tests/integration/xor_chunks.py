"""Independent Python decoding of Prometheus remote-read STREAMED_XOR_CHUNKS responses:
frame parsing with CRC-32C checks, and the XOR chunk bit format (Prometheus
tsdb/chunkenc/xor.go, as described in shared/research/protocols.md §3.4–3.5)."""

import struct

_CRC_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC_TABLE.append(_c)


def crc32c(data: bytes) -> int:
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def _uvarint(buf: bytes, i: int):
    x, s = 0, 0
    while True:
        if i >= len(buf):
            raise ValueError("truncated varint")
        b = buf[i]
        i += 1
        x |= (b & 0x7F) << s
        if b < 0x80:
            return x, i
        s += 7


def parse_frames(stream: bytes) -> list[bytes]:
    """Splits a streamed response into messages; raises ValueError on a bad CRC or truncation."""
    out, i = [], 0
    while i < len(stream):
        n, i = _uvarint(stream, i)
        if i + 4 + n > len(stream):
            raise ValueError(f"truncated frame at {i}")
        crc = struct.unpack(">I", stream[i:i + 4])[0]
        msg = stream[i + 4:i + 4 + n]
        if crc32c(msg) != crc:
            raise ValueError(f"frame CRC mismatch at {i}")
        out.append(msg)
        i += 4 + n
    return out


class _Bits:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def bit(self) -> int:
        byte = self.data[self.pos >> 3]
        b = (byte >> (7 - (self.pos & 7))) & 1
        self.pos += 1
        return b

    def bits(self, n: int) -> int:
        v = 0
        for _ in range(n):
            v = (v << 1) | self.bit()
        return v

    def byte_aligned_varint(self, signed: bool) -> int:
        x, s = 0, 0
        while True:
            b = self.bits(8)
            x |= (b & 0x7F) << s
            if b < 0x80:
                break
            s += 7
        if signed:
            x = (x >> 1) ^ -(x & 1)
        return x


def decode_xor(data: bytes) -> list[tuple[int, int]]:
    """[(timestamp_ms, value_bits)] of one XOR chunk."""
    n = struct.unpack(">H", data[:2])[0]
    r = _Bits(data[2:])
    out = []
    t = delta = 0
    v = lead = trail = 0
    for i in range(n):
        if i == 0:
            t = r.byte_aligned_varint(signed=True)
            v = r.bits(64)
        else:
            if i == 1:
                delta = r.byte_aligned_varint(signed=False)
            else:
                prefix = 0
                for _ in range(4):
                    prefix = prefix << 1
                    if not r.bit():
                        break
                    prefix |= 1
                size = {0b0: 0, 0b10: 14, 0b110: 17, 0b1110: 20, 0b1111: 64}[prefix]
                dod = 0
                if size:
                    dod = r.bits(size)
                    if size != 64 and dod > (1 << (size - 1)):
                        dod -= 1 << size
                    elif size == 64 and dod >= 1 << 63:
                        dod -= 1 << 64
                delta += dod
            t += delta
            if r.bit():
                if r.bit():
                    lead = r.bits(5)
                    sig = r.bits(6) or 64
                    trail = 64 - lead - sig
                sig = 64 - lead - trail
                v ^= r.bits(sig) << trail
        out.append((t, v))
    return out
