#!/usr/bin/env python3
"""Writes the hand-made seed inputs of the fuzz targets into fuzz/seeds/TARGET/.

The segment-file seeds are the golden data directory's Parquet files
(Tests/SeismoStoreTests/Golden) and pyarrow's fixture. The remote-write 1.0 and
read-request seeds are the captured Prometheus 2.42 bodies in
Tests/Fixtures/remote-write (see the README there; read requests from
/work/shared/fixtures/remote-write) with the mode byte of fuzz/Harness in front. All
other seeds are built here: small protobufs encoded by hand (field numbers from
proto/), label files in each accepted format, selectors, WAL and catalog records.
`fuzz/run` merges these and the fuzzers' finds into the minimized fuzz/corpus/.
Run with the repo's venv: .venv/bin/python fuzz/make-seeds.py
"""
import os
import struct
import sys

import snappy  # Debian python3-snappy, visible in the venv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "seeds")
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures", "remote-write")
SHARED = "/work/shared/fixtures/remote-write"


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# --- protobuf encoding -------------------------------------------------------------

def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def key(field, wire):
    return varint(field << 3 | wire)


def ld(field, payload):  # length-delimited field
    if isinstance(payload, str):
        payload = payload.encode()
    return key(field, 2) + varint(len(payload)) + payload


def vi(field, n):
    return key(field, 0) + varint(n)


def dbl(field, x):
    return key(field, 1) + struct.pack("<d", x)


def packed(field, values):
    return ld(field, b"".join(varint(v) for v in values))


def first_fields(proto, n):
    """The first n top-level fields of a message (a real request cut to seed size)."""
    i = 0
    for _ in range(n):
        if i >= len(proto):
            break
        tag, i = read_varint(proto, i)
        assert tag & 7 == 2, "top-level fields of WriteRequest are messages"
        size, i = read_varint(proto, i)
        i += size
    return proto[:i]


def read_varint(b, i):
    n = shift = 0
    while True:
        n |= (b[i] & 0x7F) << shift
        i += 1
        if b[i - 1] < 0x80:
            return n, i
        shift += 7


def both(target, name, proto):
    """Mode byte 0: snappy body; mode byte 1: raw protobuf."""
    write(target, name + "-snappy", b"\x00" + snappy.compress(proto))
    write(target, name + "-proto", b"\x01" + proto)


# --- remote write 1.0 ----------------------------------------------------------------

def rw1():
    for f in sorted(os.listdir(FIXTURES)):
        if f.endswith(".bin"):
            body = open(os.path.join(FIXTURES, f), "rb").read()
            write("rw1", f[:-4] + "-snappy", b"\x00" + body)
            write("rw1", f[:-4] + "-proto", b"\x01" + first_fields(snappy.decompress(body), 40))

    def label(n, v):
        return ld(1, ld(1, n) + ld(2, v))

    def sample(v, t):
        return ld(2, dbl(1, v) + vi(2, t))

    good = label("__name__", "up") + label("job", "node") + sample(1.0, 1_796_000_000_000)
    stale = label("__name__", "up") + sample(struct.unpack("<d", struct.pack("<Q", 0x7FF0000000000002))[0], 5)
    bad = [
        label("job", "x") + label("__name__", "up") + sample(1, 1),  # unsorted
        label("__name__", "up") + label("a", "\xff") + sample(1, 1),  # bad UTF-8 (as text)
        label("__name__", "1up") + sample(1, 1),  # invalid metric name
        label("__name__", "up") + label("a", "") + sample(1, 1),  # empty value
        label("__name__", "up") + label("__name__", "up") + sample(1, 1),  # duplicate
    ]
    exemplar = ld(3, label("trace_id", "abc") + dbl(2, 1.5) + vi(3, 7))
    hist = ld(4, vi(1, 3) + dbl(3, 2.0) + vi(15, 9))
    req = ld(1, good) + ld(1, stale) + b"".join(ld(1, b) for b in bad) + ld(1, good + exemplar + hist)
    req += ld(3, vi(1, 1) + ld(2, "up") + ld(4, "Up or not.") + ld(5, "seconds"))
    both("rw1", "handmade-mixed", req)
    write("rw1", "empty", b"\x00")


# --- remote write 2.0 ----------------------------------------------------------------

def rw2():
    symbols = ["", "__name__", "up", "job", "node", "instance", "a:9100", "Up or not.", "s", "trace_id", "abc"]
    sym = b"".join(ld(4, s) for s in symbols)

    def series(refs, samples=(), hist=False, exemplar=False, meta=None):
        b = packed(1, refs)
        for v, t in samples:
            b += ld(2, dbl(1, v) + vi(2, t))
        if hist:
            b += ld(3, vi(1, 4) + dbl(3, 1.5) + vi(15, 10))
        if exemplar:
            b += ld(4, packed(1, [9, 10]) + dbl(2, 0.5) + vi(3, 11))
        if meta:
            b += ld(5, vi(1, meta[0]) + vi(3, meta[1]) + vi(4, meta[2]))
        return ld(5, b)

    req = sym
    req += series([1, 2, 3, 4], [(1.0, 1_796_000_000_000), (2.0, 1_796_000_001_000)], meta=(2, 7, 8))
    req += series([1, 2, 5, 6], [(0.0, 5)], hist=True, exemplar=True)
    req += series([3, 4, 1, 2], [(1.0, 1)])  # unsorted
    req += series([1, 2, 3], [(1.0, 1)])  # odd refs → whole request refused
    both("rw2", "handmade-oddrefs", req)
    ok = sym + series([1, 2, 3, 4], [(1.0, 1_796_000_000_000)], meta=(1, 7, 0)) + series([1, 2], [], hist=True)
    both("rw2", "handmade-ok", ok)
    both("rw2", "handmade-badref", sym + series([1, 99], [(1.0, 1)]))
    both("rw2", "handmade-nosymbol0", ld(4, "x") + series([0, 0], [(1.0, 1)]))


# --- read request --------------------------------------------------------------------

def read():
    for f in sorted(os.listdir(SHARED)):
        if f.startswith("read_request") and f.endswith(".bin"):
            body = open(os.path.join(SHARED, f), "rb").read()
            write("read", f[:-4] + "-snappy", b"\x00" + body)
            write("read", f[:-4] + "-proto", b"\x01" + snappy.decompress(body))

    def matcher(t, n, v):
        return ld(3, vi(1, t) + ld(2, n) + ld(3, v))

    q = vi(1, 1000) + vi(2, 2000) + matcher(0, "__name__", "up") + matcher(2, "job", "no.*|x(y)+")
    q += matcher(3, "instance", "[a-z]+:[0-9]{2,4}") + ld(4, vi(1, 15000) + ld(2, "rate") + vi(7, 60000))
    both("read", "handmade-regex", ld(1, q) + packed(2, [0, 1]))
    both("read", "handmade-badregex", ld(1, vi(1, 1) + vi(2, 2) + matcher(2, "a", "(")))
    both("read", "handmade-reversed", ld(1, vi(1, 5) + vi(2, 2) + matcher(0, "a", "b")))


# --- label files ---------------------------------------------------------------------

def labels():
    files = {
        "tsv": "Timestamp_from\tTimestamp_to\tAnomaly type\tAnomaly details\n"
               "2026-11-30T17:01:00Z\t2026-11-30T17:02:30.5Z\tcpu\tstress-ng 4 workers\n"
               "1796000000\t1796000060\tmemory\t\n",
        "state": "from\tto\tstate\n1796000000\t1796000100\tidle\n1796000100.250\t1796000200\tload\n",
        "csv": "start,end,anomaly,anomaly_type,details,state\r\n"
               "1796000000,1796000010,1,disk,\"quoted, with comma \"\"and quotes\"\"\",\n"
               "1796000020,1796000030,0,,,phase2\n",
        "jsonarray": '[{"start": 1796000000, "end": 1796000010.5, "anomaly_type": "cpu"},'
                     ' {"from": "2026-11-30T17:00:00+01:00", "to": "2026-11-30T17:10:00Z", "state": "x", "anomaly": false}]',
        "jsonlines": '{"start": "1796000000", "end": "1796000001", "anomaly": true}\n'
                     '{"start": 1796000002, "end": 1796000003, "state": "s", "details": "d\\u00e9"}\n',
    }
    for name, text in files.items():
        write("labels", "file-" + name, b"\x00" + ("\ufeff" if name == "csv" else "").encode() + text.encode())
    write("labels", "body-object", b"\x01" + b'{"start": 1796000000, "end": 1796000060, "anomaly_type": "net"}')
    write("labels", "body-array", b"\x01" + b'[{"start": 1.5, "end": 2.25, "state": "a"}, {"start": 3, "end": 4, "anomaly": 1}]')


# --- selectors -----------------------------------------------------------------------

def selector():
    for i, text in enumerate([
        'up', 'node_cpu_seconds_total{mode="idle", cpu!="0"}', '{__name__=~"node_.*", job!~"x|y",}',
        "up{job='node'}", 'up{path=`C:\\raw`}', 'a:b:c{x="\\n\\"\\\\"}', '{a=~".*"}', '{}', 'up{job="unterminated',
        'up{é="x"}', 'up{job="ünïcødé"}',
    ]):
        write("selector", "sel-%02d" % i, text.encode())


# --- WAL and catalog records ---------------------------------------------------------

def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def record(payload):
    return struct.pack("<II", len(payload), crc32c(payload)) + payload


def wal():
    def samples(*triples):
        return b"\x01" + b"".join(varint(i) + struct.pack("<qQ", t, v) for i, t, v in triples)

    p1 = samples((0, 1_796_000_000_000, 0x3FF0000000000000), (1, 1_796_000_000_500, 0x7FF0000000000002))
    p2 = samples((300, -1, 0))
    good = record(p1) + record(p2)
    write("wal", "wal-raw-clean", b"\x00" + good)
    write("wal", "wal-raw-torn", b"\x00" + good + record(p1)[:-3])
    flipped = bytearray(good)
    flipped[12] ^= 0x40
    write("wal", "wal-raw-flipped", b"\x00" + bytes(flipped))
    # Framed mode: u8 length + payload, the harness adds headers and checksums.
    write("wal", "wal-framed", b"\x02" + bytes([len(p1)]) + p1 + bytes([len(p2)]) + p2 + b"\x02\x01\xff")

    def key(*labels):
        out = b""
        for n, v in labels:
            out += varint(len(n)) + n.encode() + varint(len(v)) + v.encode()
        return out

    def string(s):
        return varint(len(s.encode())) + s.encode()

    s0 = b"\x01" + varint(0) + key(("__name__", "up"), ("job", "node"))
    s1 = b"\x01" + varint(1) + key(("__name__", "node_load1"))
    m = b"\x02\x01" + string("up") + string("Up or not.") + string("")
    cat = record(s0) + record(m) + record(s1)
    write("wal", "catalog-raw", b"\x01" + cat)
    write("wal", "catalog-raw-torn", b"\x01" + cat[:-2])
    write("wal", "catalog-framed", b"\x03" + b"".join(bytes([len(p)]) + p for p in (s0, m, s1)))
    write("wal", "catalog-framed-outofseq", b"\x03" + bytes([len(s1)]) + s1)


# --- segment (Parquet) files ---------------------------------------------------------

def parquet():
    golden = os.path.join(ROOT, "Tests", "SeismoStoreTests", "Golden", "datadir-v1", "segments")
    for seg in sorted(os.listdir(golden)):
        for f in sorted(os.listdir(os.path.join(golden, seg))):
            write("parquet", "golden-" + f, open(os.path.join(golden, seg, f), "rb").read())
    # pyarrow's own output (Tests/SeismoParquetTests/Fixtures), larger than max_len: its
    # footer end is what the reader looks at first, so keep the file whole only if small.
    fixture = open(os.path.join(ROOT, "Tests", "SeismoParquetTests", "Fixtures", "pyarrow_written.parquet"), "rb").read()
    if len(fixture) <= 65536:
        write("parquet", "pyarrow-written", fixture)


if __name__ == "__main__":
    for fn in (rw1, rw2, read, labels, selector, wal, parquet):
        fn()
    print("seeds written to", OUT, file=sys.stderr)
