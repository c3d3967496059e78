#!/usr/bin/env python3
"""Remote-read benchmark: one ReadRequest for N series × 1 h, Seismo vs Prometheus 2.42's own
/api/v1/read on the same data, SAMPLES and STREAMED_XOR_CHUNKS, in one run.

    .venv/bin/python bench/read.py [--series 1000] [--seconds 3600] [--repeat 5]

Both servers receive the same per-second samples through remote write first (Prometheus
with --web.enable-remote-write-receiver). Then the same ReadRequest is sent REPEAT times to
each, for each response type; printed: median latency, response bytes, samples returned,
server CPU-seconds spent answering, and peak RSS growth (VmHWM) during the reads.
Every process started here is stopped by its PID.
"""

import argparse
import os
import random
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "Tests", "integration"))
import harness  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / CLK_TCK


def vm_hwm_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def vm_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def seismo_stage_totals(port):
    """Seconds spent so far in Seismo's read stages (its own timers)."""
    m = harness.parse_prom_text(harness.http_request("GET", f"http://127.0.0.1:{port}/metrics").text)
    return {stage: harness.metric_sum(m, f"seismo_read_{stage}_duration_seconds_sum") for stage in ("select", "encode")}


def make_bodies(series, seconds, base_s, per_body_seconds=30):
    rng = random.Random(1)
    labels = [[("__name__", f"bench_metric_{i % 20}"), ("instance", f"host-{i // 20:03d}:9100"), ("job", "node")]
              for i in range(series)]
    labels = [sorted(l) for l in labels]
    values = [rng.uniform(0, 100) for _ in range(series)]
    bodies = []
    for lo in range(0, seconds, per_body_seconds):
        batch = []
        for i, l in enumerate(labels):
            pts = []
            for s in range(lo, min(seconds, lo + per_body_seconds)):
                values[i] += rng.uniform(-1, 1) if i % 2 else rng.randint(0, 5)
                pts.append(((base_s + s) * 1000, harness.f64_bits(round(values[i], 2))))
            batch.append((l, pts))
        bodies.append(harness.snappy_compress(harness.encode_write_request(batch)))
    return bodies


def read_request(pb, start_ms, end_ms, streamed):
    types_pb2, remote_pb2 = pb
    req = remote_pb2.ReadRequest()
    if streamed:
        req.accepted_response_types.append(remote_pb2.ReadRequest.STREAMED_XOR_CHUNKS)
    q = req.queries.add()
    q.start_timestamp_ms, q.end_timestamp_ms = start_ms, end_ms
    m = q.matchers.add()
    m.type, m.name, m.value = types_pb2.LabelMatcher.RE, "__name__", "bench_metric_.*"
    return harness.snappy_compress(req.SerializeToString())


def count_samples(pb, body, streamed):
    _, remote_pb2 = pb
    if not streamed:
        resp = remote_pb2.ReadResponse()
        resp.ParseFromString(harness.snappy_uncompress(body))
        return sum(len(ts.samples) for r in resp.results for ts in r.timeseries)
    import xor_chunks
    n = 0
    for msg in xor_chunks.parse_frames(body):
        resp = remote_pb2.ChunkedReadResponse()
        resp.ParseFromString(msg)
        for cs in resp.chunked_series:
            for c in cs.chunks:
                n += struct.unpack(">H", c.data[:2])[0]
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--series", type=int, default=1000)
    ap.add_argument("--seconds", type=int, default=3600)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--binary", default=os.path.join(REPO, ".build/release/seismo"))
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="seismo-read-bench-")
    os.makedirs(os.path.join(work, "pb"))
    pb = harness.pb_modules(os.path.join(work, "pb"))
    base_s = int(time.time()) - args.seconds - 120
    print(f"generating {args.series} series x {args.seconds} s ...", flush=True)
    bodies = make_bodies(args.series, args.seconds, base_s)

    procs = []
    try:
        sport, pport = harness.free_port(), harness.free_port()
        seismo = harness.Proc("seismo", [args.binary, "serve", "--listen", f"127.0.0.1:{sport}", "--data",
                                         f"{work}/seismo", "--head-window", "2h"], work)
        procs.append(seismo)
        with open(f"{work}/empty.yml", "w") as f:
            f.write("global: {scrape_interval: 1m}\n")
        prom = harness.Proc("prometheus", ["prometheus", f"--config.file={work}/empty.yml", f"--storage.tsdb.path={work}/prom",
                                           f"--web.listen-address=127.0.0.1:{pport}", "--web.enable-remote-write-receiver"], work)
        procs.append(prom)
        servers = [("seismo", seismo, sport), ("prometheus", prom, pport)]
        for name, p, port in servers:
            harness.wait_until(lambda: harness.http_ok(f"http://127.0.0.1:{port}/-/ready"), 60, what=name)
        for name, p, port in servers:
            t0 = time.time()
            for b in bodies:
                r = harness.http_request("POST", f"http://127.0.0.1:{port}/api/v1/write", b, harness.RW_HEADERS, 120)
                assert r.status in (200, 204), f"{name} write: {r.status} {r.text[:200]}"
            print(f"loaded {name} in {time.time() - t0:.1f}s", flush=True)

        start_ms, end_ms = base_s * 1000, (base_s + args.seconds) * 1000
        rows = []
        for streamed in (False, True):
            body = read_request(pb, start_ms, end_ms, streamed)
            for name, p, port in servers:
                if name == "seismo":
                    before = seismo_stage_totals(sport)
                rss_before = vm_rss_kb(p.pid)
                hwm_before = vm_hwm_kb(p.pid)
                cpu0 = cpu_seconds(p.pid)
                lat, size, n = [], 0, 0
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    r = harness.http_request("POST", f"http://127.0.0.1:{port}/api/v1/read", body,
                                             {"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
                                              "X-Prometheus-Remote-Read-Version": "0.1.0"}, 300)
                    lat.append(time.perf_counter() - t0)
                    assert r.status == 200, f"{name} read: {r.status} {r.text[:200]}"
                    size = len(r.body)
                n = count_samples(pb, r.body, streamed)
                if name == "seismo":
                    after = seismo_stage_totals(sport)
                    split = ", ".join(f"{k} {(after[k] - before[k]) / args.repeat * 1000:.0f} ms" for k in after)
                    print(f"seismo {'STREAMED' if streamed else 'SAMPLES'} per read: {split}", flush=True)
                cpu = (cpu_seconds(p.pid) - cpu0) / args.repeat
                rows.append(("STREAMED" if streamed else "SAMPLES", name, statistics.median(lat) * 1000, cpu, size, n,
                             max(0, vm_hwm_kb(p.pid) - max(hwm_before, rss_before)) / 1024, vm_rss_kb(p.pid) / 1024))
        print()
        print(f"{'type':9} {'server':11} {'median ms':>10} {'CPU-s/read':>11} {'bytes':>12} {'samples':>10} {'peak RSS +MB':>13} {'RSS MB':>8}")
        for t, name, ms, cpu, size, n, hwm, rss in rows:
            print(f"{t:9} {name:11} {ms:10.1f} {cpu:11.3f} {size:12,} {n:10,} {hwm:13.1f} {rss:8.0f}")
        for t in ("SAMPLES", "STREAMED"):
            s = next(r for r in rows if r[0] == t and r[1] == "seismo")
            p = next(r for r in rows if r[0] == t and r[1] == "prometheus")
            print(f"{t}: seismo / prometheus latency x{s[2] / p[2]:.2f}, CPU x{s[3] / max(p[3], 1e-9):.2f}, "
                  f"RSS x{s[7] / max(p[7], 1e-9):.2f}")
    finally:
        for p in procs:
            p.stop(30)


if __name__ == "__main__":
    main()
