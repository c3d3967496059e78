#!/usr/bin/env python3
"""Export benchmark (issue 3). Not a test: prints figures for bench/EXPORT_RESULTS.md.

    .venv/bin/python bench/export.py big   [--rows 10010] [--series 7062] [--runs 3]
    .venv/bin/python bench/export.py peers [--series 1000] [--seconds 3600]

big:   writes a synthetic data directory (catalog + hour segments in Seismo's Parquet
       layout, Prometheus-like values: counters, gauges, constants, some gaps) with
       pyarrow — far faster than remote-writing 70 M samples — then times
       `seismo export --format parquet` (release build): wall seconds and peak RSS from
       /usr/bin/time -v, and checks the output's shape with pyarrow.
peers: loads the same series × seconds by remote write into Seismo, VictoriaMetrics and
       Prometheus, then times, sequentially, full downloads of Seismo's /api/v1/export
       (Parquet and CSV), VictoriaMetrics' /api/v1/export (JSON lines) and
       /api/v1/export/csv, and Prometheus query_range per metric name at step 1s.
       Prints ratios. Every process started here is stopped by its PID.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from ingest import Server, free_port, http_get, ld, node_series, varint  # noqa: E402


# ----------------------------------------------------------------------------- store writer

def _crc32c_table():
    poly = 0x82F63B78
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_CRC = _crc32c_table()


def crc32c(data: bytes) -> int:
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def record(payload: bytes) -> bytes:
    return struct.pack("<II", len(payload), crc32c(payload)) + payload


def label_key(labels) -> bytes:
    out = bytearray()
    for n, v in sorted(labels):
        nb, vb = n.encode(), v.encode()
        out += varint(len(nb)) + nb + varint(len(vb)) + vb
    return bytes(out)


def selector(labels) -> str:
    name, rest = "", []
    for n, v in sorted(labels):
        if n == "__name__":
            name = v
        else:
            rest.append(f'{n}="' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"')
    return name + ("{" + ",".join(rest) + "}" if rest else "")


def write_store(data: str, n_series: int, rows: int, start: int, columns_per_file: int = 1000, seed: int = 7):
    """A data directory as a stopped seismo leaves it: catalog, hour segments, checkpoint."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    rng = random.Random(seed)
    series = list(node_series(n_series, rng))
    os.makedirs(os.path.join(data, "catalog"))
    os.makedirs(os.path.join(data, "wal"))
    os.makedirs(os.path.join(data, "segments"))
    with open(os.path.join(data, "catalog", "series.log"), "wb") as f:
        for i, (labels, _) in enumerate(series):
            f.write(record(b"\x01" + varint(i) + label_key(labels)))
    # Per-series value model, Prometheus-like: counters grow by small integer steps,
    # gauges wander with 2 decimals, a tenth are constants; 2 % of cells are gaps.
    # pyarrow.compute only (no numpy in the project venv).
    kinds = [("counter" if c else ("const" if i % 10 == 0 else "gauge")) for i, (_, c) in enumerate(series)]
    level = [float(rng.randrange(10**9)) for _ in series]
    end = start + rows
    seg = start - start % 3600
    while seg < end:
        lo, hi = max(seg, start), min(seg + 3600, end)
        n = hi - lo
        name = f"{seg:010d}-{seg + 3600:010d}"
        d = os.path.join(data, "segments", name)
        os.makedirs(d)
        ts = pa.array([t * 1000 for t in range(lo, hi)], type=pa.timestamp("ms", tz="UTC"))
        for g in range(0, n_series, columns_per_file):
            cols, names = [ts], ["timestamp"]
            for i in range(g, min(g + columns_per_file, n_series)):
                k = kinds[i]
                if k == "counter":
                    v = pc.add(pc.cumulative_sum(pc.floor(pc.multiply(pc.random(n), 50.0))), level[i])
                    level[i] = v[-1].as_py()
                elif k == "const":
                    v = pa.array([level[i]] * n, type=pa.float64())
                else:
                    v = pc.round(pc.add(pc.cumulative_sum(pc.subtract(pc.random(n), 0.5)), level[i] / 1e7), 2)
                v = pc.if_else(pc.less(pc.random(n), 0.02), pa.scalar(None, pa.float64()), v)
                cols.append(v)
                names.append(selector(series[i][0]))
            t = pa.Table.from_arrays(cols, names=names)
            pq.write_table(t, os.path.join(d, f"cg-{g // columns_per_file:05d}.parquet"), use_dictionary=False,
                           compression="snappy", data_page_version="1.0", row_group_size=1 << 20,
                           write_statistics=True)
        seg += 3600
    with open(os.path.join(data, "checkpoint"), "w") as f:
        f.write(f"sealed_until {seg}\n")
    return series


# ----------------------------------------------------------------------------- big

def seismo_binary(args) -> str:
    return args.binary or os.path.join(REPO, ".build", "release", "seismo")


def time_v(argv) -> tuple[float, float, int]:
    """(wall s, max RSS MiB, exit code) of argv under /usr/bin/time -v."""
    t0 = time.time()
    r = subprocess.run(["/usr/bin/time", "-v", *argv], capture_output=True)
    wall = time.time() - t0
    m = re.search(rb"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
    rss = int(m.group(1)) / 1024 if m else float("nan")
    if r.returncode != 0:
        sys.stderr.write(r.stderr.decode(errors="replace")[-3000:])
    return wall, rss, r.returncode


def big(args):
    import pyarrow.parquet as pq
    work = tempfile.mkdtemp(prefix="seismo-bench-export-")
    try:
        data = os.path.join(work, "data")
        t0 = time.time()
        write_store(data, args.series, args.rows, 1579033025)
        print(f"generated {args.rows} rows x {args.series} series in {time.time() - t0:.1f}s "
              f"({sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(data) for f in fs) / 2**20:.0f} MiB)")
        out = os.path.join(work, "out.parquet")
        binary = seismo_binary(args)
        argv = [binary, "export", "--data", data, "--format", "parquet", "--output", out]
        print("command:", " ".join(argv))
        results = []
        for run in range(args.runs):
            wall, rss, rc = time_v(argv)
            assert rc == 0, f"export exit {rc}"
            results.append((wall, rss))
            print(f"run {run + 1}: wall {wall:.2f} s, peak RSS {rss:.0f} MiB, output {os.path.getsize(out) / 2**20:.0f} MiB")
        f = pq.ParquetFile(out)
        print(f"output: {f.metadata.num_rows} rows, {f.metadata.num_columns} columns, {f.metadata.num_row_groups} row groups")
        assert f.metadata.num_rows == args.rows and f.metadata.num_columns == args.series + 1
        walls = sorted(w for w, _ in results)
        print(f"median wall {walls[len(walls) // 2]:.2f} s (goal <= 5 s), max RSS {max(r for _, r in results):.0f} MiB (goal <= 1024)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ----------------------------------------------------------------------------- peers

def write_bodies(series, start: int, seconds: int, per_body_seconds: int = 10):
    """Remote-write 1.0 bodies, in time order, `per_body_seconds` of every series each."""
    import snappy
    rng = random.Random(3)
    level = [rng.randrange(10**6) for _ in series]
    bodies = []
    for t0 in range(start, start + seconds, per_body_seconds):
        out = bytearray()
        for i, (labels, counter) in enumerate(series):
            ts = bytearray()
            for n, v in labels:
                ts += ld(1, ld(1, n.encode()) + ld(2, v.encode()))
            for t in range(t0, min(t0 + per_body_seconds, start + seconds)):
                level[i] += rng.randrange(50) if counter else 0
                val = float(level[i]) if counter else round(level[i] / 1000 + rng.random(), 2)
                ts += ld(2, b"\x09" + struct.pack("<d", val) + varint(2 << 3) + varint(t * 1000))
            out += ld(1, bytes(ts))
        bodies.append(snappy.compress(bytes(out)))
    return bodies


def post(url, body):
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
        "X-Prometheus-Remote-Write-Version": "0.1.0"})
    with urllib.request.urlopen(req, timeout=120) as r:
        r.read()
        return r.status


def download(url, data=None) -> tuple[float, int]:
    t0 = time.time()
    req = urllib.request.Request(url, data=data)
    n = 0
    with urllib.request.urlopen(req, timeout=600) as r:
        while True:
            chunk = r.read(1 << 20)
            if not chunk:
                break
            n += len(chunk)
    return time.time() - t0, n


def peers(args):
    work = tempfile.mkdtemp(prefix="seismo-bench-peers-")
    servers = []
    try:
        rng = random.Random(11)
        series = list(node_series(args.series, rng))
        now = int(time.time())
        start = now - args.seconds - 60
        t0 = time.time()
        bodies = write_bodies(series, start, args.seconds)
        print(f"{len(bodies)} bodies, {args.series} series x {args.seconds} s, encoded in {time.time() - t0:.1f}s")
        empty = os.path.join(work, "empty.yml")
        with open(empty, "w") as f:
            f.write("global: {scrape_interval: 1m}\n")
        sp, vp, pp = free_port(), free_port(), free_port()
        seismo = Server("seismo", [seismo_binary(args), "serve", "--listen", f"127.0.0.1:{sp}", "--data",
                                   os.path.join(work, "seismo"), "--head-window", "2h"], sp, "/-/ready", workdir=work)
        vm = Server("victoria-metrics", ["victoria-metrics", f"-storageDataPath={work}/vm",
                                         f"-httpListenAddr=127.0.0.1:{vp}", "-retentionPeriod=1y", "-search.maxExportSeries=100000",
                                         "-search.disableCache"], vp, "/health", workdir=work)
        prom = Server("prometheus", ["prometheus", f"--config.file={empty}", f"--storage.tsdb.path={work}/prom",
                                     f"--web.listen-address=127.0.0.1:{pp}", "--web.enable-remote-write-receiver",
                                     "--query.max-samples=100000000"], pp, "/-/ready", workdir=work)
        for s in (seismo, vm, prom):
            s.start()
            servers.append(s)
            t0 = time.time()
            for b in bodies:
                post(s.url + "/api/v1/write", b)
            print(f"loaded {s.name} in {time.time() - t0:.1f}s")
        time.sleep(2)
        http_get(vm.url + "/internal/force_flush", 30)
        time.sleep(3)
        end = start + args.seconds
        q = {"start": start, "end": end - 1}
        runs = {}

        def measure(label, fn, reps=3):
            times = []
            for _ in range(reps):
                dt, n = fn()
                times.append(dt)
            runs[label] = (min(times), n)
            print(f"{label:45s} {min(times):7.2f} s  {n / 2**20:8.1f} MiB  (runs: {', '.join(f'{x:.2f}' for x in times)})")

        measure("seismo /api/v1/export parquet", lambda: download(
            seismo.url + "/api/v1/export?" + urllib.parse.urlencode({"start": start, "end": end, "format": "parquet"})))
        measure("seismo /api/v1/export parquet, uncompressed", lambda: download(
            seismo.url + "/api/v1/export?" + urllib.parse.urlencode({"start": start, "end": end, "format": "parquet",
                                                                     "compression": "none"})))
        measure("seismo /api/v1/export csv", lambda: download(
            seismo.url + "/api/v1/export?" + urllib.parse.urlencode({"start": start, "end": end, "format": "csv"})))
        measure("VM /api/v1/export (JSON lines)", lambda: download(
            vm.url + "/api/v1/export?" + urllib.parse.urlencode({"match[]": '{__name__!=""}', **q})))
        measure("VM /api/v1/export/csv", lambda: download(
            vm.url + "/api/v1/export/csv?" + urllib.parse.urlencode(
                {"match[]": '{__name__!=""}', "format": "__name__,instance,__value__,__timestamp__:unix_s", **q})))
        names = sorted({dict(l)["__name__"] for l, _ in series})

        def query_range():
            t0, n = time.time(), 0
            for name in names:
                _, k = download(prom.url + "/api/v1/query_range?" + urllib.parse.urlencode(
                    {"query": name, "start": start, "end": end - 1, "step": "1s"}))
                n += k
            return time.time() - t0, n
        measure(f"Prometheus query_range step=1s x{len(names)}", query_range)
        s_best = runs["seismo /api/v1/export parquet"][0]
        print()
        print(f"ratio VM JSON export / seismo parquet:  {runs['VM /api/v1/export (JSON lines)'][0] / s_best:5.1f}x (goal >= 3)")
        print(f"ratio VM CSV export / seismo parquet:   {runs['VM /api/v1/export/csv'][0] / s_best:5.1f}x")
        s_none = runs["seismo /api/v1/export parquet, uncompressed"][0]
        print(f"ratio VM JSON export / seismo parquet uncompressed:  {runs['VM /api/v1/export (JSON lines)'][0] / s_none:5.1f}x")
        qr = [k for k in runs if k.startswith("Prometheus")][0]
        print(f"ratio Prom query_range / seismo parquet: {runs[qr][0] / s_best:5.1f}x (goal >= 10)")
        print(f"ratio Prom query_range / seismo parquet uncompressed: {runs[qr][0] / s_none:5.1f}x")
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(work, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["big", "peers", "generate"])
    p.add_argument("--rows", type=int, default=10010)
    p.add_argument("--series", type=int, default=None)
    p.add_argument("--seconds", type=int, default=3600)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--binary", default=None, help="seismo binary (default .build/release/seismo)")
    p.add_argument("--out", default=None, help="generate: data directory to create")
    args = p.parse_args()
    if args.mode == "big":
        args.series = args.series or 7062
        big(args)
    elif args.mode == "generate":
        write_store(args.out, args.series or 7062, args.rows, 1579033025)
    else:
        args.series = args.series or 1000
        peers(args)


if __name__ == "__main__":
    main()
