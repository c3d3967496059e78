#!/usr/bin/env python3
"""Head memory per series: RSS growth of `seismo serve` per active series.

    .venv/bin/python bench/head_rss.py [--binary .build/release/seismo] [--series 50000]
                                       [--seconds 300] [--no-detection]

Sends `--series` node_exporter-like series (bench/ingest.py's generator) at 1 Hz for
`--seconds` seconds of sample time, one remote-write 1.0 request per 2000 series per
second, all inside one segment hour, as fast as the server takes them. Prints RSS before
and after (from /proc), (after − before) / series, and how long the graceful stop (which
seals the head) takes. The server is started and stopped
by its PID.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ingest import Server, counter, free_port, ld, node_series, rss_mb, varint  # noqa: E402

import snappy  # noqa: E402


def series_table(n: int):
    rng = random.Random(42)
    out = []
    for labels, is_counter in node_series(n, rng):
        prefix = b"".join(ld(1, ld(1, k.encode()) + ld(2, v.encode())) for k, v in labels)
        base = rng.uniform(0, 1e6) if is_counter else rng.uniform(0, 1e4)
        rate = rng.uniform(0.01, 1000.0) if is_counter else 0.0
        out.append((prefix, base, rate))
    return out


def bodies_for_round(table, r: int, ts_ms: int, per_body: int):
    ts_enc = varint(ts_ms)
    sample_len = 1 + 8 + 1 + len(ts_enc)
    for i in range(0, len(table), per_body):
        parts = []
        for s, (prefix, base, rate) in enumerate(table[i:i + per_body], start=i):
            v = base + r * rate if rate else base * (1.0 + 0.05 * ((r * 7 + s) % 13 - 6) / 6.0)
            ts_body = prefix + b"\x12" + varint(sample_len) + b"\x09" + struct.pack("<d", v) + b"\x10" + ts_enc
            parts.append(b"\x0a" + varint(len(ts_body)) + ts_body)
        yield snappy.compress(b"".join(parts))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=".build/release/seismo")
    ap.add_argument("--series", type=int, default=50_000)
    ap.add_argument("--seconds", type=int, default=300)
    ap.add_argument("--per-body", type=int, default=2000)
    ap.add_argument("--no-detection", action="store_true")
    args = ap.parse_args()

    now = int(time.time())
    hour = now - now % 3600
    # All samples in one segment, none in the future.
    t0 = hour if now - hour >= args.seconds + 10 else hour - 3600
    table = series_table(args.series)
    workdir = tempfile.mkdtemp(prefix="head-rss-")
    port = free_port()
    argv = [args.binary, "serve", "--listen", f"127.0.0.1:{port}", "--data", os.path.join(workdir, "data")]
    if args.no_detection:
        argv.append("--no-detection")
    srv = Server("seismo", argv, port, "/-/ready", "/metrics", "seismo_samples_stored_total", "", workdir)
    srv.start()
    try:
        time.sleep(1)
        rss0 = rss_mb(srv.proc.pid)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Content-Encoding": "snappy", "Content-Type": "application/x-protobuf",
                   "X-Prometheus-Remote-Write-Version": "0.1.0"}
        started = time.time()
        for r in range(args.seconds):
            for body in bodies_for_round(table, r, (t0 + r) * 1000, args.per_body):
                conn.request("POST", "/api/v1/write", body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                if resp.status // 100 != 2:
                    sys.exit(f"write refused: HTTP {resp.status}")
            if r % 50 == 0:
                print(f"  round {r}/{args.seconds}, rss {rss_mb(srv.proc.pid):.0f} MiB, {time.time() - started:.0f}s",
                      file=sys.stderr)
        time.sleep(3)
        rss1 = rss_mb(srv.proc.pid)
        stored = counter(srv.metrics_url, "seismo_samples_stored_total")
        per_series = (rss1 - rss0) * 1024 * 1024 / args.series
        print(f"binary={args.binary} series={args.series} seconds={args.seconds} "
              f"detection={'off' if args.no_detection else 'on'} stored={stored:.0f} "
              f"rss_before={rss0:.1f}MiB rss_after={rss1:.1f}MiB per_series={per_series:.0f}B")
    finally:
        # A graceful stop seals the whole head into Parquet: its duration is the seal cost
        # (dense head: plain columns; paged head: decode + spill-file reads).
        t = time.time()
        srv.stop()
        print(f"stop_with_seal={time.time() - t:.2f}s")


if __name__ == "__main__":
    main()
