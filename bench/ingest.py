#!/usr/bin/env python3
"""Ingest benchmark: Prometheus remote-write 1.0 into seismo, side by side with peers.

    .venv/bin/python bench/ingest.py [--peers] [--detection-off] [--json [PATH]]

Bodies are generated once into bench/cache/ (node_exporter-like series, 2000 samples per
body, one ordered stream per wrk thread, timestamps +1 s per round over all series). Each
server (seismo; with --peers VictoriaMetrics 1.79 and a Prometheus 2.42 remote-write
receiver) gets a fresh process and data dir per phase:

  throughput   wrk at saturation: accepted samples/s (the server's own counter), server
               CPU-s (/proc/PID/stat), samples per CPU-s, p50/p99, RSS; then a graceful
               stop and the data dir's bytes per sample
  light        a fixed request rate on one keep-alive connection: p50/p99/max
  cardinality  N series x a few seconds: (RSS - idle RSS) / N

One table with ratios seismo/VM and seismo/Prometheus and the issue's goals is printed.
Every process started here is stopped by its PID. bench/README.md explains each figure.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import re
import resource
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

import node_values

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


def generate(cache: str, n_series: int, per_body: int, threads: int, rounds: int, t0_s: int | None = None,
             values: str = "node"):
    """Writes s<thread>_<n>.bin bodies: thread k owns series k, k+threads, ...; each round
    every thread sends all its series at that round's timestamp, in bodies of per_body.
    t0_s is the first round's unix second (default: rounds + 60 s before now); `values`
    names the value model in node_values.py."""
    import snappy

    rng = random.Random(42)
    series = list(node_series(n_series, rng))
    t0_ms = ((int(time.time()) - rounds - 60) if t0_s is None else t0_s) * 1000
    prefixes, models = [], []
    for s, (labels, counter) in enumerate(series):
        lab = b"".join(ld(1, ld(1, k.encode()) + ld(2, v.encode())) for k, v in labels)
        prefixes.append(lab)
        if values == "linear":
            models.append(node_values.linear_model(counter, s, rng))
        else:
            d = dict(labels)
            models.append(node_values.node_model(d["__name__"], d, random.Random(42_000_003 + s), t0_ms // 1000))
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
                    v = next(models[s])
                    sample = b"\x09" + struct.pack("<d", v) + b"\x10" + ts_enc
                    ts_body = prefixes[s] + b"\x12" + varint(sample_len) + sample
                    parts.append(b"\x0a" + varint(len(ts_body)) + ts_body)
                body = snappy.compress(b"".join(parts))
                total_bytes += len(body)
                with open(os.path.join(cache, f"s{k:02d}_{counts[k]:06d}.bin"), "wb") as f:
                    f.write(body)
                counts[k] += 1
        if r % 100 == 0 and r:
            print(f"  generating: round {r}/{rounds} ({time.time() - started:.0f}s)", file=sys.stderr)
    manifest = {"series": n_series, "per_body": per_body, "threads": threads, "rounds": rounds, "t0_ms": t0_ms,
                "values": values,
                "bodies": sum(counts), "samples": n_series * rounds, "bytes": total_bytes,
                "labels_per_series": sum(len(l) for l, _ in series) / len(series)}
    with open(os.path.join(cache, "manifest.json"), "w") as f:
        json.dump(manifest, f)
    return manifest


def _cache_is_fresh(cache: str, args) -> dict | None:
    mpath = os.path.join(cache, "manifest.json")
    if not os.path.exists(mpath) or args.regenerate:
        return None
    with open(mpath) as f:
        m = json.load(f)
    last_s = m["t0_ms"] / 1000 + m["rounds"]
    # receivers refuse samples far in the past (a fresh Prometheus TSDB ~1 h): regenerate old sets
    return m if time.time() - last_s < args.max_cache_age * 60 else None


def _build_cache(cache: str, series: int, per_body: int, threads: int, rounds: int, t0_s: int | None = None,
                 values: str = "node"):
    if os.path.exists(cache):
        shutil.rmtree(cache)
    print(f"generating bodies into {cache} ...", file=sys.stderr)
    t = time.time()
    m = generate(cache, series, per_body, threads, rounds, t0_s, values)
    print(f"  {m['bodies']} bodies, {m['samples']} samples, {m['bytes'] / 1e6:.0f} MB snappy "
          f"({m['bytes'] / m['samples']:.1f} B/sample), {time.time() - t:.0f}s", file=sys.stderr)
    return m


def ensure_bodies(args) -> tuple[str, dict]:
    """The throughput (and light-load) bodies: args.series series x args.rounds seconds."""
    cache = os.path.join(HERE, "cache", f"s{args.series}_b{args.per_body}_t{args.threads}_r{args.rounds}_{args.values}")
    m = _cache_is_fresh(cache, args)
    return cache, m or _build_cache(cache, args.series, args.per_body, args.threads, args.rounds, values=args.values)


SEGMENT_SPAN_S = 3600  # seismo's default segment span; the cardinality set stays inside one


def cardinality_rounds(args) -> int:
    """Seconds of data per series in the cardinality set: the sample budget spread over N
    series (so 1M series stays a ~150 MB cache), at least 3 and at most 60."""
    if args.cardinality_rounds:
        return args.cardinality_rounds
    return max(3, min(60, args.cardinality_samples // args.cardinality))


def ensure_cardinality_bodies(args) -> tuple[str, dict]:
    rounds = cardinality_rounds(args)
    cache = os.path.join(HERE, "cache", f"card_s{args.cardinality}_b{args.per_body}_t{args.threads}_r{rounds}_{args.values}")
    m = _cache_is_fresh(cache, args)
    if m:
        return cache, m
    # Keep every timestamp inside one hour-aligned segment: a set that straddled an hour
    # boundary would make seismo hold two open segments and double its head memory, which
    # is the boundary case, not the steady state being measured.
    t0 = int(time.time()) - rounds - 60
    last = t0 + rounds - 1
    if t0 // SEGMENT_SPAN_S != last // SEGMENT_SPAN_S:
        t0 = last // SEGMENT_SPAN_S * SEGMENT_SPAN_S - rounds
    return cache, _build_cache(cache, args.cardinality, args.per_body, args.threads, rounds, t0, args.values)


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
    return parse_counter(http_get(url, timeout=10)[1], name, label_filter)


def parse_counter(text: str, name: str, label_filter: str = "") -> float:
    """Sum of the samples of metric `name` (lines containing label_filter) in an exposition."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and (line[len(name)] in " {") and label_filter in line:
            try:
                total += float(line.rsplit(None, 1)[-1] if "}" not in line else line.rsplit("}", 1)[1].split()[0])
            except (ValueError, IndexError):
                pass
    return total


# Samples a server received and did not store, by its own counters: seismo's rejections
# (too old for its window, invalid), VictoriaMetrics' ignored rows, Prometheus' out-of-
# bounds / out-of-order / too-old appends. Requests refused whole also show in non-2xx.
REFUSED_COUNTERS = {
    "seismo": ["seismo_samples_rejected_total"],
    "victoria-metrics": ["vm_rows_ignored_total"],
    "prometheus": ["prometheus_tsdb_out_of_bound_samples_total", "prometheus_tsdb_out_of_order_samples_total",
                   "prometheus_tsdb_too_old_samples_total"],
}


def refused_samples(srv: "Server") -> float:
    names = REFUSED_COUNTERS["seismo" if srv.name.startswith("seismo") else srv.name]
    text = http_get(srv.metrics_url, timeout=10)[1]
    return sum(parse_counter(text, n) for n in names)


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


def mem_available_bytes() -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def tree_bytes(path: str, suffix: str = "") -> int:
    """Apparent size (st_size) of every regular file under path whose name ends in suffix."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            if name.endswith(suffix):
                try:
                    st = os.lstat(os.path.join(root, name))
                except OSError:
                    continue
                if stat.S_ISREG(st.st_mode):
                    total += st.st_size
    return total


class Server:
    """One server process on a loopback port, started and stopped by PID; also used by
    bench/export.py (which needs no accepted-samples counter)."""

    def __init__(self, name, argv, port, ready_path, metrics_path=None, counter_name=None, counter_filter="",
                 workdir=".", data_dir=None, log_name=None, minus_counter=None):
        self.name, self.argv, self.port = name, argv, port
        self.url = f"http://127.0.0.1:{port}"
        self.ready_url = f"http://127.0.0.1:{port}{ready_path}"
        self.metrics_url = f"http://127.0.0.1:{port}{metrics_path}"
        self.counter_name, self.counter_filter = counter_name, counter_filter
        self.minus_counter = minus_counter
        self.data_dir = data_dir
        self.log = open(os.path.join(workdir, f"{log_name or name}.log"), "wb")
        self.proc = None
        self.stop_seconds, self.stopped_gracefully = None, None

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
        status, text = http_get(self.metrics_url, timeout=10)
        value = parse_counter(text, self.counter_name, self.counter_filter)
        if self.minus_counter:
            value -= parse_counter(text, self.minus_counter)
        return value

    def stop(self, timeout=60):
        """SIGTERM (every server here flushes or seals on it), then SIGKILL after timeout s.
        Records how long the graceful stop took and whether it finished in time."""
        if self.proc and self.proc.poll() is None:
            t = time.time()
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
                self.stopped_gracefully = True
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
                self.stopped_gracefully = False
            self.stop_seconds = time.time() - t
        if not self.log.closed:
            self.log.close()


def make_servers(args, workdir):
    """(name, factory) per server; factory(phase, extra_seismo_args) builds a Server with a
    fresh data dir and log of its own for that phase."""
    empty = os.path.join(workdir, "empty.yml")
    with open(empty, "w") as f:
        f.write("global: {scrape_interval: 1m}\n")

    def seismo(name, extra):
        def make(phase, more=()):
            port, data = free_port(), os.path.join(workdir, f"{name}-{phase}")
            # The bodies replay 2000 s of traffic in ~20 s and the wrk threads drift apart by
            # hundreds of rounds, so the out-of-order window must cover that skew (the peers
            # accept it too: VictoriaMetrics has no window, Prometheus' head spans hours).
            # WAL fsync stays at its default (on): every 204 means the samples are on disk.
            # Accepted = received - rejected: seismo_samples_stored_total also counts the
            # anomaly-score series seismo writes itself, which are not remote-write traffic.
            return Server(name, [args.binary, "serve", "--listen", f"127.0.0.1:{port}", "--data", data,
                                 "--head-window", "1h", *extra, *more],
                          port, "/-/ready", "/metrics", "seismo_samples_received_total", "", workdir,
                          data_dir=data, log_name=f"{name}-{phase}", minus_counter="seismo_samples_rejected_total")
        return make

    def victoria(phase, more=()):
        port, data = free_port(), os.path.join(workdir, f"vm-{phase}")
        return Server("victoria-metrics", ["victoria-metrics", f"-storageDataPath={data}",
                                           f"-httpListenAddr=127.0.0.1:{port}", "-retentionPeriod=1y"],
                      port, "/health", "/metrics", "vm_rows_inserted_total", 'type="promremotewrite"', workdir,
                      data_dir=data, log_name=f"victoria-metrics-{phase}")

    def prometheus(phase, more=()):
        port, data = free_port(), os.path.join(workdir, f"prom-{phase}")
        return Server("prometheus", ["prometheus", f"--config.file={empty}", f"--storage.tsdb.path={data}",
                                     f"--web.listen-address=127.0.0.1:{port}", "--web.enable-remote-write-receiver"],
                      port, "/-/ready", "/metrics", "prometheus_tsdb_head_samples_appended_total", "", workdir,
                      data_dir=data, log_name=f"prometheus-{phase}")

    servers = [("seismo", seismo("seismo", []))]
    if args.detection_off:
        # Same server with inline detection switched off: the difference is what
        # detection costs the ingest path (it runs on its own thread, off the ack path).
        servers.append(("seismo-no-detect", seismo("seismo-no-detect", ["--no-detection"])))
    if args.peers:
        servers.append(("victoria-metrics", victoria))
        servers.append(("prometheus", prometheus))
    return servers


# ----------------------------------------------------------------------------- load

def run_wrk(url: str, bodies_dir: str, threads: int, duration: int, srv: Server, target: float,
            rounds: int, max_skew: int):
    """Replays the cached streams with wrk while sampling the server's accepted counter
    every 0.5 s. wrk always sleeps its full -d even when every stream has run out, so it
    gets SIGINT (on which it stops and still prints its statistics) once the counter
    reaches target. A stream more than max_skew rounds (s of data time) ahead of the
    slowest one waits for it (post_bodies.lua; 0 = no bound). Returns (parsed BENCH_JSON
    line, end time, [(time, accepted)])."""
    progress = tempfile.mkdtemp(prefix="seismo-wrk-progress-")
    extra = [progress, str(threads), str(rounds), str(max_skew)] if max_skew > 0 else []
    wrk = subprocess.Popen(["wrk", f"-t{threads}", f"-c{threads}", f"-d{duration}s", "--timeout", "30s", "--latency",
                            "-s", os.path.join(HERE, "post_bodies.lua"), url, "--", bodies_dir, *extra],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    samples = []
    deadline = time.time() + duration + 120
    while wrk.poll() is None and time.time() < deadline:
        try:
            v = srv.accepted()
            samples.append((time.time(), v))
            if v >= target:
                wrk.send_signal(signal.SIGINT)
                break
        except Exception:  # noqa: BLE001 - a missed scrape only thins the samples
            pass
        time.sleep(0.5)
    try:
        out, err = wrk.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        wrk.kill()
        out, err = wrk.communicate()
    t_end = time.time()
    shutil.rmtree(progress, ignore_errors=True)
    m = re.search(r"BENCH_JSON (\{.*\})", out)
    if not m:
        raise RuntimeError(f"wrk failed (exit {wrk.returncode}):\n{out}\n{err}")
    return json.loads(m.group(1)), t_end, samples


def wait_for_count(srv: Server, target: float, quiet_s: float = 5.0, limit_s: float = 60.0) -> float:
    """Waits until the accepted counter reaches target, or stops rising for quiet_s."""
    deadline, last, last_change = time.time() + limit_s, -1.0, time.time()
    while time.time() < deadline:
        v = srv.accepted()
        if v >= target:
            return v
        if v != last:
            last, last_change = v, time.time()
        elif time.time() - last_change > quiet_s:
            return v
        time.sleep(0.5)
    return srv.accepted()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, math.ceil(q / 100 * len(s)) - 1))
    return s[k]


REMOTE_WRITE_HEADERS = {"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
                        "X-Prometheus-Remote-Write-Version": "0.1.0", "User-Agent": "seismo-bench/1"}


def paced_requests(port: int, bodies: list[bytes], rate: float) -> tuple[list[float], int, int]:
    """Sends bodies one at a time on one keep-alive connection, request i at start + i/rate
    (sent late, never skipped, if the previous reply came back after that). Returns the
    latency of each request in ms (send to end of reply body), non-2xx count and
    reconnect count."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies, non2xx, reconnects = [], 0, 0
    start = time.perf_counter()
    for i, body in enumerate(bodies):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        t = time.perf_counter()
        try:
            conn.request("POST", "/api/v1/write", body, REMOTE_WRITE_HEADERS)
            resp = conn.getresponse()
            resp.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            reconnects += 1
            non2xx += 1
            continue
        latencies.append((time.perf_counter() - t) * 1000)
        if not 200 <= resp.status < 300:
            non2xx += 1
    conn.close()
    return latencies, non2xx, reconnects


# ----------------------------------------------------------------------------- phases

def fsync_count(srv):
    """seismo's WAL fsyncs so far (None for the peers)."""
    if not srv.name.startswith("seismo"):
        return None
    return counter(srv.metrics_url, "seismo_wal_fsync_duration_seconds_count")


def phase_throughput(make, bodies_dir, manifest, args, label="throughput"):
    """Saturation with wrk, then a graceful stop and the data dir's size."""
    srv = make(label)
    # the cached data spans `rounds` seconds, so it can touch two 1 h segments
    why = seismo_head_too_big(manifest["series"], 2) if srv.name.startswith("seismo") else None
    if why:
        srv.log.close()
        return {"skipped": why}
    srv.start()
    try:
        url = f"http://127.0.0.1:{srv.port}/api/v1/write"
        a0, c0 = srv.accepted(), cpu_seconds(srv.proc.pid)
        refused0 = refused_samples(srv)
        fsyncs0 = fsync_count(srv)
        t_start = time.time()
        w, t_wrk_end, samples = run_wrk(url, bodies_dir, args.threads, args.duration, srv,
                                        a0 + manifest["samples"], manifest["rounds"], args.max_skew)
        time.sleep(1.0)  # let in-flight work settle before reading counters
        a1, c1 = srv.accepted(), cpu_seconds(srv.proc.pid)
        rss = rss_mb(srv.proc.pid)
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
        r = {"accepted": accepted, "window_s": window, "rate": accepted / window,
             "cpu_s": cpu, "per_cpu_s": accepted / cpu if cpu > 0 else float("nan"),
             "p50_ms": w["p50"] / 1000, "p99_ms": w["p99"] / 1000, "max_ms": w["max"] / 1000,
             "requests": w["requests"], "non2xx": w["non2xx"], "timeouts": w["timeouts"], "rss_mb": rss,
             "refused": refused_samples(srv) - refused0,
             "skew_holds": w.get("held"), "max_lead_rounds": w.get("max_lead"),
             "stored_self": (counter(srv.metrics_url, "seismo_samples_stored_total") - accepted
                             if srv.name.startswith("seismo") else None),
             "rejected": (counter(srv.metrics_url, "seismo_samples_rejected_total")
                          if srv.name.startswith("seismo") else None),
             "detect_scored": (counter(srv.metrics_url, "seismo_detect_samples_total")
                               if srv.name == "seismo" else None),
             "detect_dropped": (counter(srv.metrics_url, "seismo_detect_samples_dropped_total")
                                if srv.name == "seismo" else None),
             # seismo's WAL group commits over the phase: each costs the server CPU of its
             # own (write, flush, wake-ups), so requests per fsync says how well they group
             "fsyncs": (fsync_count(srv) - fsyncs0 if srv.name.startswith("seismo") else None)}
    finally:
        # The server's whole CPU time is known once it has been reaped: the children's
        # rusage grows by exactly its lifetime's CPU across this stop (wrk was reaped
        # before). Minus the CPU before the load, that counts the graceful stop too:
        # seismo's final seal, VictoriaMetrics' flush, i.e. every sample's whole cost.
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        srv.stop(args.stop_timeout)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lifetime = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    cpu_all = lifetime - c0
    r.update({"cpu_s_with_stop": cpu_all, "per_cpu_s_with_stop": accepted / cpu_all if cpu_all > 0 else float("nan")})
    # Disk: seismo sealed its head into Parquet on SIGTERM and VictoriaMetrics flushed its
    # in-memory parts; Prometheus keeps head + WAL until a 2 h block is cut, so its figure
    # is the uncompacted WAL+head size.
    disk = tree_bytes(srv.data_dir)
    r.update({"stop_s": srv.stop_seconds, "stopped_gracefully": srv.stopped_gracefully,
              "disk_bytes": disk, "disk_bytes_per_sample": disk / accepted if accepted else float("nan")})
    if srv.name.startswith("seismo"):
        seg = tree_bytes(os.path.join(srv.data_dir, "segments"), ".parquet")
        r.update({"parquet_bytes": seg, "parquet_bytes_per_sample": seg / accepted if accepted else float("nan"),
                  "wal_bytes_after_stop": tree_bytes(os.path.join(srv.data_dir, "wal"))})
        r.update(segment_bytes_by_type(os.path.join(srv.data_dir, "segments")))
    if not args.keep:
        shutil.rmtree(srv.data_dir, ignore_errors=True)
    return r


def median_run(runs: list[dict]) -> dict:
    """Per-figure median over repeated throughput runs (numbers only; a skipped or
    non-numeric figure is taken from the first run)."""
    out = dict(runs[0])
    for key, first in runs[0].items():
        vals = [r.get(key) for r in runs]
        if isinstance(first, bool) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
            continue
        vals = sorted(v for v in vals if not (isinstance(v, float) and math.isnan(v)))
        if vals:
            mid = len(vals) // 2
            out[key] = vals[mid] if len(vals) % 2 else (vals[mid - 1] + vals[mid]) / 2
    return out


def segment_bytes_by_type(segments_dir: str) -> dict:
    """Column-chunk bytes and non-null samples of seismo's segments by series column type
    (INT64 = a whole-number series, DOUBLE = the rest), from the Parquet footers: where
    the disk figure comes from."""
    import pyarrow.parquet as pq
    out = {"int64_bytes": 0, "int64_samples": 0, "double_bytes": 0, "double_samples": 0}
    for root, _, files in os.walk(segments_dir):
        for f in files:
            if not f.endswith(".parquet") or root.split(os.sep)[-1].startswith("."):
                continue
            md = pq.ParquetFile(os.path.join(root, f)).metadata
            for g in range(md.num_row_groups):
                rg = md.row_group(g)
                for i in range(1, rg.num_columns):  # column 0 is the timestamp
                    c = rg.column(i)
                    kind = "int64" if c.physical_type == "INT64" else "double"
                    out[kind + "_bytes"] += c.total_compressed_size
                    out[kind + "_samples"] += c.num_values - (c.statistics.null_count if c.statistics else 0)
    for kind in ("int64", "double"):
        n = out[kind + "_samples"]
        out[kind + "_bytes_per_sample"] = out[kind + "_bytes"] / n if n else float("nan")
    total = out["int64_samples"] + out["double_samples"]
    out["int64_sample_share"] = out["int64_samples"] / total if total else float("nan")
    return out


def phase_light(make, bodies_dir, args):
    """A fixed, light request rate on one keep-alive connection, each request timed."""
    wanted = int(args.light_rate * args.light_duration)
    names = sorted(n for n in os.listdir(bodies_dir) if n.startswith("s00_"))[:wanted]
    bodies = []
    for n in names:
        with open(os.path.join(bodies_dir, n), "rb") as f:
            bodies.append(f.read())
    srv = make("light")
    srv.start()
    fsync = "seismo_wal_fsync_duration_seconds"
    try:
        c0 = cpu_seconds(srv.proc.pid)
        f0 = (counter(srv.metrics_url, fsync + "_sum"), counter(srv.metrics_url, fsync + "_count"))
        t = time.time()
        lat, non2xx, reconnects = paced_requests(srv.port, bodies, args.light_rate)
        elapsed = time.time() - t
        cpu = cpu_seconds(srv.proc.pid) - c0
        f1 = (counter(srv.metrics_url, fsync + "_sum"), counter(srv.metrics_url, fsync + "_count"))
    finally:
        srv.stop(args.stop_timeout)
    if not args.keep:
        shutil.rmtree(srv.data_dir, ignore_errors=True)
    # The first second creates the stream's series (with the defaults the first body holds
    # all 2000 of them): reported apart, so steady-state percentiles are not set by it.
    warm = max(1, int(args.light_rate))
    steady = lat[warm:] or lat
    return {"requests": len(bodies), "rate": len(bodies) / elapsed, "duration_s": elapsed,
            "samples_per_request": min(args.per_body, math.ceil(args.series / args.threads)),
            "non2xx": non2xx, "reconnects": reconnects, "cpu_s": cpu,
            "warmup_requests": warm, "warmup_max_ms": max(lat[:warm]) if lat[:warm] else float("nan"),
            "p50_ms": percentile(steady, 50) if steady else float("nan"),
            "p99_ms": percentile(steady, 99) if steady else float("nan"),
            "max_ms": max(steady) if steady else float("nan"),
            # seismo's own WAL fsync timing over the phase: how much of the latency is the disk
            "fsyncs": f1[1] - f0[1] if srv.name.startswith("seismo") else None,
            "fsync_mean_ms": ((f1[0] - f0[0]) / (f1[1] - f0[1]) * 1000
                              if srv.name.startswith("seismo") and f1[1] > f0[1] else None),
            # every request's latency in send order (JSON only): where the tail falls in time
            "latencies_ms": [round(x, 3) for x in lat]}


# Measured by bench/head_rss.py on the paged, spilling head (2026-12-01): ~1.0 KiB per
# active series without detection, ~1.3 KiB with it; 2 KiB leaves a margin.
SEISMO_BYTES_PER_SERIES = 2048


def seismo_head_too_big(n_series: int, open_segments: int) -> str | None:
    """Why seismo should not be started with n_series active, or None when it fits: on a
    shared machine an estimate far beyond the free memory would only get it, or a
    neighbour, OOM-killed."""
    need = n_series * SEISMO_BYTES_PER_SERIES * open_segments
    avail = mem_available_bytes()
    if need <= 0.7 * avail:
        return None
    return (f"needs ~{need / 2**30:.1f} GiB ({n_series:,} series x {open_segments} open segment(s) x "
            f"{SEISMO_BYTES_PER_SERIES} B), more than 70% of MemAvailable ({avail / 2**30:.1f} GiB)")


def phase_cardinality(make, bodies_dir, manifest, args):
    """N series, one sample per second for a few seconds: (RSS after - idle RSS) / N."""
    n = manifest["series"]
    probe = make("cardinality", ["--max-series", str(n + 1000)])
    why = seismo_head_too_big(n, 1) if probe.name.startswith("seismo") else None
    if why:
        probe.log.close()
        return {"series": n, "data_seconds": manifest["rounds"], "samples_sent": manifest["samples"],
                "skipped": why, "rss_bytes_per_series_estimate": SEISMO_BYTES_PER_SERIES}
    srv = probe
    srv.start()
    try:
        time.sleep(1.0)
        idle = rss_mb(srv.proc.pid)
        a0 = srv.accepted()
        w, _, _ = run_wrk(f"http://127.0.0.1:{srv.port}/api/v1/write", bodies_dir, args.threads, args.phase_limit,
                          srv, a0 + manifest["samples"], manifest["rounds"], args.max_skew)
        got = wait_for_count(srv, a0 + manifest["samples"]) - a0
        time.sleep(2.0)  # background work (flushes, detection) triggered by the last requests
        after = rss_mb(srv.proc.pid)
    finally:
        srv.stop(args.stop_timeout)
    if not args.keep:
        shutil.rmtree(srv.data_dir, ignore_errors=True)
    return {"series": n, "data_seconds": manifest["rounds"], "samples_sent": manifest["samples"], "accepted": got,
            "requests": w["requests"], "bodies": manifest["bodies"], "non2xx": w["non2xx"],
            "idle_rss_mb": idle, "rss_mb": after, "rss_bytes_per_series": (after - idle) * 1024 * 1024 / n}


# ----------------------------------------------------------------------------- report

def fmt(v, spec):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if spec.endswith("d") and isinstance(v, float):  # a median of two counts
        v = round(v)
    return format(v, spec)


def ratio(a, b):
    if a is None or b is None or not b or (isinstance(a, float) and math.isnan(a)) or math.isnan(b):
        return None
    return a / b


ROWS = [  # (label, phase, key, format)
    ("accepted samples/s (saturation)", "throughput", "rate", ",.0f"),
    ("server CPU-s (saturation)", "throughput", "cpu_s", ".1f"),
    ("samples per CPU-s", "throughput", "per_cpu_s", ",.0f"),
    ("  same, CPU incl. graceful stop", "throughput", "per_cpu_s_with_stop", ",.0f"),
    ("p50 ms at saturation", "throughput", "p50_ms", ".1f"),
    ("p99 ms at saturation", "throughput", "p99_ms", ".1f"),
    ("non-2xx at saturation", "throughput", "non2xx", "d"),
    ("refused samples (saturation)", "throughput", "refused", ",.0f"),
    ("max stream skew, s of data", "throughput", "max_lead_rounds", "d"),
    ("RSS MB after saturation", "throughput", "rss_mb", ".0f"),
    ("disk bytes/sample (whole dir)", "throughput", "disk_bytes_per_sample", ".2f"),
    ("  seismo: Parquet segments only", "throughput", "parquet_bytes_per_sample", ".2f"),
    ("  seismo: share of samples in INT64", "throughput", "int64_sample_share", ".0%"),
    ("  seismo: INT64 series columns", "throughput", "int64_bytes_per_sample", ".2f"),
    ("  seismo: DOUBLE series columns", "throughput", "double_bytes_per_sample", ".2f"),
    ("graceful stop s", "throughput", "stop_s", ".1f"),
    ("p50 ms at light load", "light", "p50_ms", ".2f"),
    ("p99 ms at light load", "light", "p99_ms", ".2f"),
    ("max ms at light load", "light", "max_ms", ".2f"),
    ("non-2xx at light load", "light", "non2xx", "d"),
    ("  seismo: mean WAL fsync ms (light)", "light", "fsync_mean_ms", ".2f"),
    ("idle RSS MB (cardinality)", "cardinality", "idle_rss_mb", ".0f"),
    ("RSS MB with N series", "cardinality", "rss_mb", ".0f"),
    ("RSS bytes per active series", "cardinality", "rss_bytes_per_series", ",.0f"),
]


def goals(results):
    """The issue's targets, judged on this run. None where a figure is missing."""
    s, vm = results.get("seismo", {}), results.get("victoria-metrics", {})
    g = {}
    r = ratio(s.get("throughput", {}).get("per_cpu_s"), vm.get("throughput", {}).get("per_cpu_s"))
    g["samples per CPU-s >= 3x VictoriaMetrics"] = (r, None if r is None else r >= 3.0, f"x{fmt(r, '.2f')}")
    r = ratio(s.get("throughput", {}).get("per_cpu_s_with_stop"), vm.get("throughput", {}).get("per_cpu_s_with_stop"))
    g["  same, CPU incl. graceful stop"] = (r, None if r is None else r >= 3.0, f"x{fmt(r, '.2f')}")
    p99 = s.get("light", {}).get("p99_ms")
    g["p99 at light load <= 5 ms (WAL fsync on)"] = (p99, None if p99 is None else p99 <= 5.0, f"{fmt(p99, '.2f')} ms")
    b = s.get("cardinality", {}).get("rss_bytes_per_series")
    g["RSS <= 1 KiB per active series"] = (b, None if b is None else b <= 1024, f"{fmt(b, ',.0f')} B")
    d = ratio(s.get("throughput", {}).get("disk_bytes_per_sample"),
              vm.get("throughput", {}).get("disk_bytes_per_sample"))
    g["disk bytes/sample <= VictoriaMetrics"] = (d, None if d is None else d <= 1.0, f"x{fmt(d, '.2f')}")
    return g


def print_report(results, args, manifest, card_manifest):
    names = list(results)
    peers = [p for p in ("victoria-metrics", "prometheus") if p in results]
    short = {"seismo": "seismo", "seismo-no-detect": "no-detect", "victoria-metrics": "VM 1.79",
             "prometheus": "Prom 2.42"}
    head = f"{'':34s}" + "".join(f"{short.get(n, n):>13s}" for n in names)
    head += "".join(f"{'seismo/' + short[p].split()[0]:>13s}" for p in peers)
    print("\n" + head)
    print("-" * len(head))
    for label, phase, key, spec in ROWS:
        vals = [results[n].get(phase, {}).get(key) for n in names]
        if all(v is None for v in vals):
            continue
        line = f"{label:34s}" + "".join(f"{fmt(v, spec):>13s}" for v in vals)
        if key not in ("non2xx", "refused", "max_lead_rounds", "stop_s", "idle_rss_mb", "fsync_mean_ms", "parquet_bytes_per_sample"):
            for p in peers:
                r = ratio(results["seismo"].get(phase, {}).get(key), results[p].get(phase, {}).get(key))
                line += f"{('x' + format(r, '.2f')) if r is not None else '-':>13s}"
        print(line)
    print()
    if manifest:
        per_body = min(args.per_body, math.ceil(args.series / args.threads))
        print(f"saturation: wrk -t{args.threads} -c{args.threads} -d{args.duration}s, {manifest['series']} series, "
              f"bodies of up to {per_body} samples. light load: {args.light_rate:g} req/s x {per_body} samples for "
              f"{args.light_duration:g} s on one keep-alive connection, first {max(1, int(args.light_rate))} requests "
              f"(series creation) left out of p50/p99/max.")
    if card_manifest:
        print(f"cardinality: {card_manifest['series']:,} series x {card_manifest['rounds']} samples at 1 s spacing "
              f"= {card_manifest['rounds']} s of data time in the head (inside one 1 h seismo segment).")
    print("seismo acks after the WAL fsync; VictoriaMetrics has no WAL (buffers ~1 s in memory, no fsync per request); "
          "Prometheus writes its WAL without fsync per request.")
    if "prometheus" in results and "throughput" in results["prometheus"]:
        print("Prometheus disk bytes are WAL+head, not compacted (it cuts a block after 2 h of data).")
    for n in names:
        t = results[n].get("throughput", {})
        if t.get("skipped"):
            print(f"note: {n} throughput phase skipped: {t['skipped']}")
            t = {}
        if t.get("stopped_gracefully") is False:
            print(f"WARNING: {n} did not stop within {args.stop_timeout}s of SIGTERM and was killed: "
                  "its disk figure is not a sealed/flushed one")
        if t and manifest and t["accepted"] >= manifest["samples"] * 0.999:
            print(f"note: {n} used up every cached body after {t['window_s']:.1f}s; its rate is less precise "
                  f"(raise --rounds for a full-length run)")
        c = results[n].get("cardinality")
        if c and not c.get("skipped") and c["accepted"] < c["samples_sent"] * 0.999:
            print(f"WARNING: {n} accepted {c['accepted']:.0f} of {c['samples_sent']} cardinality samples")
        if c and c.get("skipped"):
            print(f"note: {n} cardinality phase skipped: {c['skipped']}")
    s = results.get("seismo", {}).get("throughput", {})
    if s.get("rejected"):
        print(f"seismo rejected {s['rejected']:.0f} samples (seismo_samples_rejected_total)")
    if s.get("detect_scored") is not None:
        print(f"seismo inline detection: {s['detect_scored']:.0f} samples scored, "
              f"{s['detect_dropped'] or 0:.0f} dropped because detection fell behind")
    if s.get("fsyncs"):
        print(f"seismo WAL group commits at saturation: {s['fsyncs']:.0f} fsyncs for "
              f"{s['requests']} requests ({s['requests'] / s['fsyncs']:.1f} requests per fsync)")
    for p in peers:
        pairs = list(zip(results["seismo"].get("throughput_runs", []), results[p].get("throughput_runs", [])))
        for key, what in (("per_cpu_s", "samples per CPU-s"), ("per_cpu_s_with_stop", "same, incl. graceful stop")):
            rs = [r for r in (ratio(a.get(key), b.get(key)) for a, b in pairs) if r is not None]
            if len(rs) > 1:
                print(f"repeats, seismo/{short[p].split()[0]} {what}, run by run: "
                      + " ".join(f"x{r:.2f}" for r in rs) + " (the table has the ratio of medians)")
    g = goals(results)
    print("\ngoals (this run):")
    for label, (_v, ok, shown) in g.items():
        verdict = "n/a (not measured)" if ok is None else ("met" if ok else "NOT met")
        print(f"  {label:44s} {shown:>14s}  {verdict}")
    return g


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=20, help="wrk seconds per server, saturation phase (default 20)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="saturation runs per server, taking turns; the table shows medians and the "
                         "per-pair ratios are listed (default 1)")
    ap.add_argument("--threads", type=int, default=4, help="wrk threads = connections = streams (default 4)")
    ap.add_argument("--series", type=int, default=8000, help="series in the saturation bodies (default 8000)")
    ap.add_argument("--per-body", type=int, default=2000, help="samples per request body")
    ap.add_argument("--rounds", type=int, default=2000, help="timestamps per series in the cached bodies")
    ap.add_argument("--values", choices=("node", "linear"), default="node",
                    help="sample value model (bench/node_values.py): node_exporter-like (default) or the "
                         "first harness's linear counters")
    ap.add_argument("--phases", default="throughput,light,cardinality",
                    help="comma list of throughput, light, cardinality (default: all)")
    ap.add_argument("--light-rate", type=float, default=10, help="light-load requests per second (default 10)")
    ap.add_argument("--light-duration", type=float, default=30, help="light-load seconds (default 30)")
    ap.add_argument("--cardinality", type=int, default=100_000, help="active series for the RSS phase (default 100k)")
    ap.add_argument("--cardinality-samples", type=int, default=6_000_000,
                    help="sample budget of the cardinality set; rounds = budget / N, 3..60 (default 6M)")
    ap.add_argument("--cardinality-rounds", type=int, default=0, help="override: seconds of data per series")
    ap.add_argument("--max-skew", type=int, default=600,
                    help="s of data time a wrk stream may run ahead of the slowest one before it waits "
                         "(default 600; 0 = unbounded). Unbounded, long runs drift past seismo's 1 h window")
    ap.add_argument("--phase-limit", type=int, default=60, help="upper bound in s of the cardinality load (default 60)")
    ap.add_argument("--stop-timeout", type=int, default=60, help="s to wait after SIGTERM before SIGKILL (default 60)")
    ap.add_argument("--peers", action="store_true", help="also run VictoriaMetrics 1.79 and Prometheus 2.42")
    ap.add_argument("--detection-off", action="store_true",
                    help="also run Seismo with --no-detection (ingest cost of inline detection)")
    ap.add_argument("--binary", default=os.path.join(REPO, ".build", "release", "seismo"))
    ap.add_argument("--regenerate", action="store_true", help="rebuild bench/cache bodies")
    ap.add_argument("--max-cache-age", type=float, default=30, help="minutes before cached bodies are rebuilt")
    ap.add_argument("--json", nargs="?", const="-", metavar="PATH",
                    help="write every figure as JSON to PATH (or stdout after the table)")
    args = ap.parse_args()
    args.keep = bool(os.environ.get("SEISMO_BENCH_KEEP"))
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = set(phases) - {"throughput", "light", "cardinality"}
    if unknown:
        sys.exit(f"unknown phase(s): {', '.join(sorted(unknown))}")
    if args.light_rate * args.light_duration > args.rounds * max(1, args.series // args.threads // args.per_body):
        sys.exit("--light-rate x --light-duration needs more bodies than stream 0 holds: raise --rounds")

    if not os.path.exists(args.binary):
        sys.exit(f"{args.binary} missing: run `swift build -c release --product seismo` first")
    bodies, manifest = ensure_bodies(args) if {"throughput", "light"} & set(phases) else (None, None)
    card_dir, card_manifest = ensure_cardinality_bodies(args) if "cardinality" in phases else (None, None)
    workdir = tempfile.mkdtemp(prefix="seismo-bench-")
    m = manifest or card_manifest
    print(f"bodies: {m['bodies']} x {args.per_body} samples, {m['series']} series "
          f"({m['labels_per_series']:.1f} labels each), {m['bytes'] / m['bodies'] / 1e3:.1f} KB "
          f"snappy per body; phases {','.join(phases)}; workdir {workdir}")
    results: dict[str, dict] = {}
    started = time.time()
    try:
        servers = list(make_servers(args, workdir))
        if "throughput" in phases and args.repeat > 1:
            # Repeats take turns (seismo, VM, Prometheus, seismo, …) so that the machine's
            # slow minutes fall on every server alike; the table shows per-figure medians.
            runs: dict[str, list] = {name: [] for name, _ in servers}
            for i in range(args.repeat):
                for name, make in servers:
                    os.sync()
                    print(f"-- {name}: throughput {i + 1}/{args.repeat} ({time.time() - started:.0f}s)", file=sys.stderr)
                    runs[name].append(phase_throughput(make, bodies, manifest, args, label=f"throughput{i + 1}"))
            for name, _ in servers:
                results[name] = {"throughput": median_run(runs[name]), "throughput_runs": runs[name]}
        for name, make in servers:
            results.setdefault(name, {})
            for phase in phases:
                if phase == "throughput" and args.repeat > 1:
                    continue
                # The previous phase's server wrote hundreds of MB (WAL, segments, blocks)
                # that the kernel is still writing back: without this, that writeback lands
                # in the next phase's fsyncs and latencies, whichever server comes next.
                os.sync()
                print(f"-- {name}: {phase} ({time.time() - started:.0f}s)", file=sys.stderr)
                if phase == "throughput":
                    results[name]["throughput"] = phase_throughput(make, bodies, manifest, args)
                elif phase == "light":
                    results[name]["light"] = phase_light(make, bodies, args)
                elif phase == "cardinality":
                    results[name]["cardinality"] = phase_cardinality(make, card_dir, card_manifest, args)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    g = print_report(results, args, manifest, card_manifest)
    print(f"total {time.time() - started:.0f}s")
    if args.json:
        doc = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "args": {k: v for k, v in vars(args).items()}, "bodies": manifest, "cardinality_bodies": card_manifest,
               "results": results,
               "ratios": {p: {f"{ph}.{k}": ratio(results["seismo"].get(ph, {}).get(k), results[p].get(ph, {}).get(k))
                              for _l, ph, k, _s in ROWS}
                          for p in ("victoria-metrics", "prometheus") if p in results},
               "goals": {label: {"value": v, "met": ok} for label, (v, ok, _s) in g.items()}}
        text = json.dumps(doc, indent=1, default=str)
        if args.json == "-":
            print(text)
        else:
            with open(args.json, "w") as f:
                f.write(text + "\n")


if __name__ == "__main__":
    main()
