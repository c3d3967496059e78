"""Regenerates pyarrow_written.parquet (run once; the output is committed).

The values are formulas that PyarrowFixtureTests.swift recomputes:
row i, i in 0..<5000:
  timestamp = 1_700_000_000_000 + 1000*i   (timestamp[ms, UTC], non-nullable, DELTA_BINARY_PACKED)
  counter   = i*i                           (int64, non-nullable, PLAIN)
  gauge     = null if i%7 == 0, bits 0x7ff0000000000002 if i == 1234,
              NaN if i%100 == 50, else i*0.5   (float64, nullable)
  dense     = i/3                           (float64, non-nullable)
"""
import array
import struct
import sys

import pyarrow as pa
import pyarrow.parquet as pq

N = 5000
STALE = 0x7FF0000000000002
NAN = 0x7FF8000000000000


def bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def gauge_bits(i):
    if i == 1234:
        return STALE
    if i % 100 == 50:
        return NAN
    return bits(i * 0.5)


# Built from raw buffers so the stale marker's NaN payload cannot be
# canonicalized on the way in.
data = array.array("Q", [0 if i % 7 == 0 else gauge_bits(i) for i in range(N)])
validity = bytearray((N + 7) // 8)
for i in range(N):
    if i % 7 != 0:
        validity[i // 8] |= 1 << (i % 8)
gauge = pa.Array.from_buffers(pa.float64(), N, [pa.py_buffer(bytes(validity)), pa.py_buffer(data.tobytes())])

schema = pa.schema([
    pa.field("timestamp", pa.timestamp("ms", tz="UTC"), nullable=False),
    pa.field("counter", pa.int64(), nullable=False),
    pa.field("gauge", pa.float64()),
    pa.field("dense", pa.float64(), nullable=False),
])
table = pa.Table.from_arrays([
    pa.array([1_700_000_000_000 + 1000 * i for i in range(N)], pa.timestamp("ms", tz="UTC")),
    pa.array([i * i for i in range(N)], pa.int64()),
    gauge,
    pa.array([i / 3 for i in range(N)], pa.float64()),
], schema=schema)

out = sys.argv[1] if len(sys.argv) > 1 else "pyarrow_written.parquet"
pq.write_table(
    table, out, use_dictionary=False, compression="snappy", data_page_version="1.0",
    column_encoding={"timestamp": "DELTA_BINARY_PACKED"}, data_page_size=4096,
    write_page_index=True,
)
print(pq.ParquetFile(out).metadata)
