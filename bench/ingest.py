#!/usr/bin/env python3
"""Ingest benchmark: Prometheus remote-write 1.0 bodies driven into seismo with wrk.

    .venv/bin/python bench/ingest.py [--duration 20] [--peers]

Bodies are generated once into bench/cache/ (node_exporter-like series, 2000 samples per
body, one ordered stream per wrk thread, timestamps +1 s per full round over all series).
Prints accepted samples/s (the server's own counter), server CPU-seconds (utime+stime of
the server process), samples per CPU-second and request latency p50/p99. With --peers the
same bodies also go to VictoriaMetrics 1.79 and a Prometheus 2.42 remote-write receiver,
and ratios are printed. Every process started here is stopped by its PID.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ----------------------------------------------------------------------------- payloads

def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def ld(field_no: int, payload: bytes) -> bytes:
    return varint(field_no << 3 | 2) + varint(len(payload)) + payload


def node_series(n_total: int, rng: random.Random):
    """Yields (labels, is_counter) for node_exporter-like series across hosts until n_total."""
    cpus, modes = 8, ["idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"]
    nics = ["eth0", "eth1", "eth2", "lo", "docker0"]
    disks = ["nvme0n1", "sda", "sdb", "sdc", "dm-0"]
    mounts = [("/dev/nvme0n1p1", "ext4", "/"), ("/dev/nvme0n1p2", "ext4", "/var"), ("tmpfs", "tmpfs", "/run"),
              ("/dev/sda1", "xfs", "/data"), ("/dev/sdb1", "xfs", "/backup"), ("tmpfs", "tmpfs", "/dev/shm")]
    mem = ["Active", "Active_anon", "Active_file", "AnonPages", "Buffers", "Cached", "CommitLimit", "Committed_AS",
           "Dirty", "Inactive", "Inactive_anon", "Inactive_file", "Mapped", "MemAvailable", "MemFree", "MemTotal",
           "PageTables", "SReclaimable", "SUnreclaim", "Shmem", "Slab", "SwapCached", "SwapFree", "SwapTotal",
           "VmallocUsed", "Writeback"]
    netstat = ["Icmp_InErrors", "Icmp_InMsgs", "Icmp_OutMsgs", "Ip_Forwarding", "IpExt_InOctets", "IpExt_OutOctets",
               "Tcp_ActiveOpens", "Tcp_CurrEstab", "Tcp_InErrs", "Tcp_InSegs", "Tcp_OutRsts", "Tcp_OutSegs",
               "Tcp_PassiveOpens", "Tcp_RetransSegs", "TcpExt_ListenDrops", "TcpExt_ListenOverflows",
               "TcpExt_SyncookiesFailed", "TcpExt_TCPSynRetrans", "Udp_InDatagrams", "Udp_InErrors",
               "Udp_NoPorts", "Udp_OutDatagrams", "Udp_RcvbufErrors", "Udp_SndbufErrors"]
    vmstat = ["oom_kill", "pgfault", "pgmajfault", "pgpgin", "pgpgout", "pswpin", "pswpout"]

    def host(h: int):
        inst = f"10.1.{h // 250}.{h % 250 + 1}:9100"
        base = [("instance", inst), ("job", "node")]
        for c in range(cpus):
            for m in modes:
                yield "node_cpu_seconds_total", [("cpu", str(c)), ("mode", m)], True
            yield "node_cpu_scaling_frequency_hertz", [("cpu", str(c))], False
            for s in ("running_seconds_total", "timeslices_total", "waiting_seconds_total"):
                yield "node_schedstat_" + s, [("cpu", str(c))], True
        for d in nics:
            for dirn in ("receive", "transmit"):
                for what in ("bytes", "packets", "errs", "drop", "fifo", "compressed", "multicast"):
                    yield f"node_network_{dirn}_{what}_total", [("device", d)], True
            yield "node_network_up", [("device", d)], False
            yield "node_network_mtu_bytes", [("device", d)], False
        for d in disks:
            for what in ("reads_completed", "writes_completed", "read_bytes", "written_bytes", "io_time_seconds",
                         "read_time_seconds", "write_time_seconds", "reads_merged", "writes_merged",
                         "io_time_weighted_seconds", "discards_completed", "flush_requests"):
                yield f"node_disk_{what}_total", [("device", d)], True
            yield "node_disk_io_now", [("device", d)], False
        for dev, fs, mp in mounts:
            for what in ("avail_bytes", "free_bytes", "size_bytes", "files", "files_free", "readonly", "device_error"):
                yield f"node_filesystem_{what}", [("device", dev), ("fstype", fs), ("mountpoint", mp)], False
        for m in mem:
            yield f"node_memory_{m}_bytes", [], False
        for s in netstat:
            yield f"node_netstat_{s}", [], True
        for s in vmstat:
            yield f"node_vmstat_{s}", [], True
        for q in ("0", "0.25", "0.5", "0.75", "1"):
            yield "go_gc_duration_seconds", [("quantile", q)], False
        for s in ("load1", "load5", "load15", "procs_running", "procs_blocked", "boot_time_seconds",
                  "time_seconds", "entropy_available_bits", "filefd_allocated", "filefd_maximum"):
            yield "node_" + s, [], s == "time_seconds"
        for s in ("context_switches_total", "forks_total", "intr_total"):
            yield "node_" + s, [], True
        for chip in range(4):
            for sensor in range(4):
                yield "node_hwmon_temp_celsius", [("chip", f"platform_coretemp_{chip}"),
                                                  ("sensor", f"temp{sensor + 1}")], False
        yield "up", [], False
        yield "scrape_duration_seconds", [], False
        yield "scrape_samples_scraped", [], False

    n, h = 0, 0
    while True:
        for name, extra, counter in host(h):
            labels = sorted([("__name__", name), ("instance", f"10.1.{h // 250}.{h % 250 + 1}:9100"),
                             ("job", "node")] + extra)
            yield labels, counter
            n += 1
            if n >= n_total:
                return
        h += 1


def generate(cache: str, n_series: int, per_body: int, threads: int, rounds: int):
    """Writes s<thread>_<n>.bin bodies: thread k owns series k, k+threads, ...; each round
    every thread sends all its series at that round's timestamp, in bodies of per_body."""
    import snappy

    rng = random.Random(42)
    series = list(node_series(n_series, rng))
    prefixes, base, rate = [], [], []
    for labels, counter in series:
        lab = b"".join(ld(1, ld(1, k.encode()) + ld(2, v.encode())) for k, v in labels)
        prefixes.append(lab)
        base.append(rng.uniform(0, 1e6) if counter else rng.uniform(0, 1e4))
        rate.append(rng.uniform(0.01, 1000.0) if counter else 0.0)
    t0_ms = (int(time.time()) - rounds - 60) * 1000
    os.makedirs(cache, exist_ok=True)
    owned = [list(range(k, n_series, threads)) for k in range(threads)]
    counts = [0] * threads
    total_bytes = 0
    started = time.time()
    for r in range(rounds):
        ts_enc = varint(t0_ms + r * 1000)
        sample_len = 1 + 8 + 1 + len(ts_enc)
        for k in range(threads):
            ids = owned[k]
            for i in range(0, len(ids), per_body):
                parts = []
                for s in ids[i:i + per_body]:
                    if rate[s]:
                        v = base[s] + r * rate[s]
                    else:
                        v = base[s] * (1.0 + 0.05 * ((r * 7 + s) % 13 - 6) / 6.0)
                    sample = b"\x09" + struct.pack("<d", v) + b"\x10" + ts_enc
                    ts_body = prefixes[s] + b"\x12" + varint(sample_len) + sample
                    parts.append(b"\x0a" + varint(len(ts_body)) + ts_body)
                body = snappy.compress(b"".join(parts))
                total_bytes += len(body)
                with open(os.path.join(cache, f"s{k:02d}_{counts[k]:06d}.bin"), "wb") as f:
                    f.write(body)
                counts[k] += 1
        if r % 100 == 0:
            print(f"  generating: round {r}/{rounds} ({time.time() - started:.0f}s)", file=sys.stderr)
    manifest = {"series": n_series, "per_body": per_body, "threads": threads, "rounds": rounds, "t0_ms": t0_ms,
                "bodies": sum(counts), "samples": n_series * rounds, "bytes": total_bytes,
                "labels_per_series": sum(len(l) for l, _ in series) / len(series)}
    with open(os.path.join(cache, "manifest.json"), "w") as f:
        json.dump(manifest, f)
    return manifest


def ensure_bodies(args) -> tuple[str, dict]:
    name = f"s{args.series}_b{args.per_body}_t{args.threads}_r{args.rounds}"
    cache = os.path.join(HERE, "cache", name)
    mpath = os.path.join(cache, "manifest.json")
    if os.path.exists(mpath):
        with open(mpath) as f:
            m = json.load(f)
        last_s = m["t0_ms"] / 1000 + m["rounds"]
        # receivers refuse samples far in the past (a fresh Prometheus TSDB ~1 h): regenerate old sets
        if time.time() - last_s < args.max_cache_age * 60 and not args.regenerate:
            return cache, m
        shutil.rmtree(cache)
    print(f"generating bodies into {cache} ...", file=sys.stderr)
    t = time.time()
    m = generate(cache, args.series, args.per_body, args.threads, args.rounds)
    print(f"  {m['bodies']} bodies, {m['samples']} samples, {m['bytes'] / 1e6:.0f} MB snappy "
          f"({m['bytes'] / m['samples']:.1f} B/sample), {time.time() - t:.0f}s", file=sys.stderr)
    return cache, m


# ----------------------------------------------------------------------------- servers

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, ""
    except OSError:
        return 0, ""


def counter(url: str, name: str, label_filter: str = "") -> float:
    status, text = http_get(url, timeout=10)
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and (line[len(name)] in " {") and label_filter in line:
            try:
                total += float(line.rsplit(None, 1)[-1] if "}" not in line else line.rsplit("}", 1)[1].split()[0])
            except (ValueError, IndexError):
                pass
    return total


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Server:
    """One server process on a loopback port, started and stopped by PID; also used by
    bench/export.py (which needs no accepted-samples counter)."""

    def __init__(self, name, argv, port, ready_path, metrics_path=None, counter_name=None, counter_filter="",
                 workdir="."):
        self.name, self.argv, self.port = name, argv, port
        self.url = f"http://127.0.0.1:{port}"
        self.ready_url = f"http://127.0.0.1:{port}{ready_path}"
        self.metrics_url = f"http://127.0.0.1:{port}{metrics_path}"
        self.counter_name, self.counter_filter = counter_name, counter_filter
        self.log = open(os.path.join(workdir, f"{name}.log"), "wb")
        self.proc = None

    def start(self, timeout=60):
        self.proc = subprocess.Popen(self.argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode} (log {self.log.name})")
            if http_get(self.ready_url, 2)[0] == 200:
                return self
            time.sleep(0.2)
        raise TimeoutError(f"{self.name} not ready after {timeout}s")

    def accepted(self) -> float:
        return counter(self.metrics_url, self.counter_name, self.counter_filter)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


def make_servers(args, workdir):
    seismo_port = free_port()
    servers = [("seismo", lambda: Server(
        # The bodies replay 2000 s of traffic in ~20 s and the wrk threads drift apart by
        # hundreds of rounds, so the out-of-order window must cover that skew (the peers
        # accept it too: VictoriaMetrics has no window, Prometheus' head spans hours).
        "seismo", [args.binary, "serve", "--listen", f"127.0.0.1:{seismo_port}", "--data",
                   os.path.join(workdir, "seismo-data"), "--head-window", "1h"],
        seismo_port, "/-/ready", "/metrics", "seismo_samples_stored_total", "", workdir))]
    if args.detection_off:
        # Same server with inline detection switched off: the difference is what
        # detection costs the ingest path (it runs on its own thread, off the ack path).
        off_port = free_port()
        servers.append(("seismo-no-detect", lambda: Server(
            "seismo-no-detect", [args.binary, "serve", "--listen", f"127.0.0.1:{off_port}", "--data",
                       os.path.join(workdir, "seismo-data-nodetect"), "--head-window", "1h", "--no-detection"],
            off_port, "/-/ready", "/metrics", "seismo_samples_stored_total", "", workdir)))
    if args.peers:
        vm_port, prom_port = free_port(), free_port()
        empty = os.path.join(workdir, "empty.yml")
        with open(empty, "w") as f:
            f.write("global: {scrape_interval: 1m}\n")
        servers.append(("victoria-metrics", lambda: Server(
            "victoria-metrics", ["victoria-metrics", f"-storageDataPath={workdir}/vm",
                                 f"-httpListenAddr=127.0.0.1:{vm_port}", "-retentionPeriod=1y"],
            vm_port, "/health", "/metrics", "vm_rows_inserted_total", 'type="promremotewrite"', workdir)))
        servers.append(("prometheus", lambda: Server(
            "prometheus", ["prometheus", f"--config.file={empty}", f"--storage.tsdb.path={workdir}/prom",
                           f"--web.listen-address=127.0.0.1:{prom_port}", "--web.enable-remote-write-receiver"],
            prom_port, "/-/ready", "/metrics", "prometheus_tsdb_head_samples_appended_total", "", workdir)))
    return servers


def run_one(make, bodies_dir, args, workdir):
    srv = make()
    srv.start()
    try:
        url = f"http://127.0.0.1:{srv.port}/api/v1/write"
        a0, c0 = srv.accepted(), cpu_seconds(srv.proc.pid)
        samples = []  # (t, accepted) while wrk runs
        stop = threading.Event()

        def sampler():
            while not stop.is_set():
                try:
                    samples.append((time.time(), srv.accepted()))
                except Exception:  # noqa: BLE001
                    pass
                stop.wait(0.5)
        th = threading.Thread(target=sampler, daemon=True)
        t_start = time.time()
        th.start()
        wrk = subprocess.run(["wrk", f"-t{args.threads}", f"-c{args.threads}", f"-d{args.duration}s", "--timeout",
                              "30s", "--latency", "-s", os.path.join(HERE, "post_bodies.lua"), url, "--", bodies_dir],
                             capture_output=True, text=True, timeout=args.duration + 120)
        t_wrk_end = time.time()
        time.sleep(1.0)  # let in-flight work settle before reading counters
        stop.set()
        th.join(5)
        a1, c1 = srv.accepted(), cpu_seconds(srv.proc.pid)
        rss = rss_mb(srv.proc.pid)
        m = re.search(r"BENCH_JSON (\{.*\})", wrk.stdout)
        if not m:
            raise RuntimeError(f"wrk failed (exit {wrk.returncode}):\n{wrk.stdout}\n{wrk.stderr}")
        w = json.loads(m.group(1))
        # active window: until the last increase of the counter (streams may run out early)
        last_inc = t_wrk_end
        prev = None
        for t, v in samples:
            if prev is not None and v > prev:
                last_inc = t
            prev = v
        window = max(0.5, min(t_wrk_end, last_inc) - t_start)
        accepted = a1 - a0
        cpu = c1 - c0
        return {"server": srv.name, "accepted": accepted, "window_s": window, "rate": accepted / window,
                "cpu_s": cpu, "per_cpu_s": accepted / cpu if cpu > 0 else float("nan"),
                "p50_ms": w["p50"] / 1000, "p99_ms": w["p99"] / 1000, "max_ms": w["max"] / 1000,
                "requests": w["requests"], "non2xx": w["non2xx"], "timeouts": w["timeouts"], "rss_mb": rss,
                "rejected": (counter(srv.metrics_url, "seismo_samples_rejected_total")
                             if srv.name.startswith("seismo") else None),
                "detect_scored": (counter(srv.metrics_url, "seismo_detect_samples_total")
                                  if srv.name == "seismo" else None),
                "detect_dropped": (counter(srv.metrics_url, "seismo_detect_samples_dropped_total")
                                   if srv.name == "seismo" else None)}
    finally:
        srv.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=20, help="wrk seconds per server (default 20)")
    ap.add_argument("--threads", type=int, default=4, help="wrk threads = connections = streams (default 4)")
    ap.add_argument("--series", type=int, default=8000)
    ap.add_argument("--per-body", type=int, default=2000, help="samples per request body")
    ap.add_argument("--rounds", type=int, default=2000, help="timestamps per series in the cached bodies")
    ap.add_argument("--peers", action="store_true", help="also run VictoriaMetrics 1.79 and Prometheus 2.42")
    ap.add_argument("--detection-off", action="store_true",
                    help="also run Seismo with --no-detection (ingest cost of inline detection)")
    ap.add_argument("--binary", default=os.path.join(REPO, ".build", "release", "seismo"))
    ap.add_argument("--regenerate", action="store_true", help="rebuild bench/cache bodies")
    ap.add_argument("--max-cache-age", type=float, default=30, help="minutes before cached bodies are rebuilt")
    ap.add_argument("--json", action="store_true", help="print results as JSON too")
    args = ap.parse_args()

    if not os.path.exists(args.binary):
        sys.exit(f"{args.binary} missing: run `swift build -c release` first")
    bodies, manifest = ensure_bodies(args)
    workdir = tempfile.mkdtemp(prefix="seismo-bench-")
    print(f"bodies: {manifest['bodies']} x {args.per_body} samples, {manifest['series']} series "
          f"({manifest['labels_per_series']:.1f} labels each), {manifest['bytes'] / manifest['bodies'] / 1e3:.1f} KB "
          f"snappy per body; wrk -t{args.threads} -c{args.threads} -d{args.duration}s; workdir {workdir}")
    results = []
    try:
        for name, make in make_servers(args, workdir):
            print(f"-- {name} ...", file=sys.stderr)
            results.append(run_one(make, bodies, args, workdir))
    finally:
        if not os.environ.get("SEISMO_BENCH_KEEP"):
            shutil.rmtree(workdir, ignore_errors=True)

    print(f"\n{'server':18s} {'accepted/s':>11s} {'CPU-s':>7s} {'samples/CPU-s':>14s} {'p50 ms':>8s} "
          f"{'p99 ms':>8s} {'max ms':>8s} {'requests':>9s} {'non-2xx':>8s} {'RSS MB':>7s}")
    for r in results:
        print(f"{r['server']:18s} {r['rate']:11,.0f} {r['cpu_s']:7.1f} {r['per_cpu_s']:14,.0f} {r['p50_ms']:8.1f} "
              f"{r['p99_ms']:8.1f} {r['max_ms']:8.1f} {r['requests']:9d} {r['non2xx']:8d} {r['rss_mb']:7.0f}")
    s = results[0]
    if s.get("rejected"):
        print(f"seismo rejected {s['rejected']:.0f} samples (seismo_samples_rejected_total)")
    if s.get("detect_scored") is not None:
        print(f"seismo inline detection: {s['detect_scored']:.0f} samples scored, "
              f"{s['detect_dropped'] or 0:.0f} dropped because detection fell behind")
    for r in results:
        if r["accepted"] >= manifest["samples"] * 0.999:
            print(f"note: {r['server']} used up every cached body after {r['window_s']:.1f}s; "
                  f"its rate is less precise (raise --rounds for a full-length run)")
    for r in results[1:]:
        print(f"seismo / {r['server']}: accepted/s x{s['rate'] / r['rate']:.2f}, "
              f"samples per CPU-s x{s['per_cpu_s'] / r['per_cpu_s']:.2f}, p99 x{s['p99_ms'] / max(r['p99_ms'], 1e-9):.2f}")
    if args.json:
        print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
