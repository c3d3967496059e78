"""Sample values for the ingest benchmark's node_exporter-like series.

Two models, chosen with `ingest.py --values`:

  node    (default) values shaped like node_exporter's own, per metric name: byte, packet
          and operation counters are integers that grow by a random amount each second;
          CPU seconds move in 0.01 steps (jiffies / USER_HZ), disk time counters in 0.001
          steps (ms / 1000), schedstat in nanoseconds; memory and filesystem gauges are
          whole bytes that wander; load averages have two decimals; error and drop
          counters stay flat for long stretches; a few gauges (scrape duration, GC pause
          quantiles, node_time_seconds) are full-precision doubles. In the Remote-Write
          bodies Prometheus 2.42 captured from a real node_exporter
          (../shared/fixtures/remote-write/), 72 % of samples are integers, 4 % have two
          decimals, 1 % three, 20 % full precision and 4 % NaN.
  linear  the first model this harness used: every counter is base + t * rate with a
          full-precision base and rate, every gauge cycles through 13 levels. Delta-of-delta
          coders (VictoriaMetrics) store such counters in almost nothing, which real
          counters never allow; kept so old figures can be reproduced.

Both are deterministic: one seeded generator per series.
"""

from __future__ import annotations

import random


def _counter(rng: random.Random, start: int, mean_step: float, scale: float = 1.0):
    """An integer-step counter: each second adds round(mean_step * U(0.3, 1.7)) units;
    yields units * scale (scale 1 = integers, 0.01 = CPU seconds, 1e-9 = nanoseconds).
    Dividing the integer count, as node_exporter does, gives the same double each time."""
    n = start
    inv = round(1 / scale) if scale < 1 else 0
    while True:
        yield n / inv if inv else n * scale
        n += int(mean_step * (0.3 + 1.4 * rng.random()) + 0.5)


def _rare(rng: random.Random, start: int, p: float):
    """Error/drop-like counter: +1 with probability p per second."""
    n = start
    while True:
        yield float(n)
        if rng.random() < p:
            n += 1


def _walk(rng: random.Random, start: int, step: int, lo: int, hi: int):
    """Whole-unit gauge that wanders by up to `step` units a second inside [lo, hi]."""
    v = start
    while True:
        yield float(v)
        v = min(hi, max(lo, v + rng.randint(-step, step)))


def _const(v: float):
    while True:
        yield v


def _load(rng: random.Random, period: float):
    """A load average: an exponentially smoothed run-queue length, two decimals."""
    x = rng.uniform(0.2, 4.0)
    a = 1.0 / period
    while True:
        yield round(x, 2)
        x += a * (rng.uniform(0.0, 6.0) - x)


def _noisy(rng: random.Random, centre: float, every: int = 1):
    """A full-precision gauge (durations): a new value every `every` seconds."""
    v = centre * rng.uniform(0.5, 1.5)
    t = 0
    while True:
        yield v
        t += 1
        if t % every == 0:
            v = centre * rng.uniform(0.5, 1.5)


def _clock(rng: random.Random, t0_s: int):
    """node_time_seconds: wall clock with a nanosecond fraction."""
    t = t0_s
    while True:
        yield t + rng.randrange(1_000_000_000) / 1e9
        t += 1


_BYTES = ("bytes", "octets", "read_bytes", "written_bytes")


def node_model(name: str, labels: dict, rng: random.Random, t0_s: int):
    """A value generator for one series, by metric name (see the module note)."""
    mode = labels.get("mode", "")
    if name == "node_cpu_seconds_total":
        share = {"idle": 0.8, "user": 0.1, "system": 0.05, "iowait": 0.02, "softirq": 0.01}.get(mode, 0.002)
        return _counter(rng, rng.randrange(10**6, 10**8), 100 * share, 0.01)
    if name in ("node_schedstat_running_seconds_total", "node_schedstat_waiting_seconds_total"):
        return _counter(rng, rng.randrange(10**14, 10**16), 3e8, 1e-9)
    if name.endswith("_time_seconds_total") or name in ("node_disk_io_time_seconds_total",
                                                         "node_disk_io_time_weighted_seconds_total"):
        return _counter(rng, rng.randrange(10**6, 10**9), rng.uniform(1, 400), 0.001)
    if name.endswith("_total") or name.startswith(("node_netstat_", "node_vmstat_")):
        if any(w in name for w in ("errs", "drop", "fifo", "compressed", "Errors", "Errs", "Fail", "Overflows",
                                   "Drops", "oom_kill", "pswp", "discards", "Rsts", "Retrans")):
            return _rare(rng, rng.randrange(0, 1000), 0.01)
        if name.endswith("Forwarding"):
            return _const(1.0)
        if any(w in name for w in _BYTES):
            return _counter(rng, rng.randrange(10**9, 10**13), rng.choice((512, 4096, 1500)) * rng.uniform(1, 2000))
        return _counter(rng, rng.randrange(10**5, 10**10), rng.uniform(0.5, 3000))
    if name == "node_time_seconds":
        return _clock(rng, t0_s)
    if name in ("scrape_duration_seconds",):
        return _noisy(rng, 0.05)
    if name == "go_gc_duration_seconds":
        return _noisy(rng, 1e-4, every=30)
    if name.startswith("node_load"):
        return _load(rng, {"node_load1": 60, "node_load5": 300, "node_load15": 900}[name])
    if name.startswith("node_memory_") or name in ("node_filesystem_avail_bytes", "node_filesystem_free_bytes"):
        if name.endswith(("MemTotal_bytes", "SwapTotal_bytes", "CommitLimit_bytes")):
            return _const(float(rng.randrange(2**30, 2**37) // 4096 * 4096))
        start = rng.randrange(2**20, 2**34) // 4096
        return (v * 4096 for v in _walk(rng, start, 64, 0, 2**35))
    if name == "node_filesystem_files_free":
        return _walk(rng, rng.randrange(10**5, 10**7), 20, 0, 10**8)
    if name in ("node_cpu_scaling_frequency_hertz",):
        return (v * 1000 for v in _walk(rng, rng.randrange(800_000, 3_600_000), 50_000, 800_000, 3_600_000))
    if name == "node_hwmon_temp_celsius":
        return _walk(rng, rng.randrange(35, 70), 1, 20, 95)
    if name in ("node_procs_running", "node_procs_blocked", "node_disk_io_now"):
        return _walk(rng, rng.randrange(0, 8), 2, 0, 64)
    if name in ("node_entropy_available_bits", "node_filefd_allocated"):
        return _walk(rng, rng.randrange(1000, 4000), 10, 0, 10**6)
    if name == "node_boot_time_seconds":
        return _const(float(t0_s - rng.randrange(10**5, 10**7)))
    if name == "up":
        return _const(1.0)
    if name == "scrape_samples_scraped":
        return _const(float(rng.randrange(300, 3000)))
    # sizes, limits, flags: node_filesystem_size_bytes, files, readonly, network up/mtu, ...
    return _const(float(rng.randrange(0, 2) if name.endswith(("readonly", "device_error")) else rng.randrange(1, 10**12)))


def linear_model(is_counter: bool, s: int, rng: random.Random):
    """The `linear` model (kept byte-for-byte with the first harness): takes two draws."""
    base = rng.uniform(0, 1e6) if is_counter else rng.uniform(0, 1e4)
    rate = rng.uniform(0.01, 1000.0) if is_counter else 0.0

    def values():
        r = 0
        while True:
            if rate:
                yield base + r * rate
            else:
                yield base * (1.0 + 0.05 * ((r * 7 + s) % 13 - 6) / 6.0)
            r += 1
    return values()
