"""The kill -9 loop: real Prometheus 2.42 remote-writes to Seismo while Seismo is killed
with SIGKILL again and again (at random moments, inside segment seals and inside WAL
truncations) and restarted on the same data directory. Afterwards every sample
Prometheus keeps in its own TSDB for the run window must be in Seismo, bit-exact.

Used by scripts/kill-loop (the full 20-kill run) and test_kill_loop.py (a short CI run).
"""

from __future__ import annotations

import os
import random
import time

import harness
from harness import STALE_NAN_BITS, canonical_selector, f64_bits, fmt_bits

# Prometheus 2.42 remote-write counters, all labelled remote_name="seismo".
SENT = "prometheus_remote_storage_samples_total"
FAILED = "prometheus_remote_storage_samples_failed_total"
RETRIED = "prometheus_remote_storage_samples_retried_total"
DROPPED = "prometheus_remote_storage_samples_dropped_total"
HIGHEST_SENT = "prometheus_remote_storage_queue_highest_sent_timestamp_seconds"

# Seismo's log lines (debug level) around a WAL truncation; see Store+Seal.swift.
TRUNC_BEGIN = "truncating write-ahead log"
TRUNC_END = "write-ahead log truncated"
SEAL_CLEANUP = "removed unfinished segment from an interrupted seal"

# How long a truncation pauses after its first unlink (test hook, see FaultHooks.swift):
# long enough for this loop, polling the log, to land its kill inside it.
TRUNCATION_PAUSE_MS = "500"

# The same two targets scraped by several jobs: every job label is a separate set of
# series, which is how the loop reaches >= 10 k samples/s with only two real exporters.
PROMETHEUS_YML = """\
global: {{scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}}
scrape_configs:
{jobs}
remote_write:
  - url: {url}
    name: seismo
    queue_config:
      max_samples_per_send: 5000
      batch_send_deadline: 2s
      max_backoff: 5s
    metadata_config: {{send: true, send_interval: 1m}}
"""


def prometheus_config(prom_port: int, ne_port: int, jobs: int, url: str) -> str:
    lines = []
    for i in range(jobs):
        lines.append(f"  - job_name: prometheus-{i}\n    static_configs: [{{targets: ['127.0.0.1:{prom_port}']}}]")
        lines.append(f"  - job_name: node-{i}\n    static_configs: [{{targets: ['127.0.0.1:{ne_port}']}}]")
    return PROMETHEUS_YML.format(jobs="\n".join(lines), url=url)


def remote_metric(prom_port: int, name: str) -> float:
    return harness.metric_sum(harness.prom_self_metrics(prom_port), name, remote_name="seismo")


def log_text(seismo: harness.Seismo, since: int) -> str:
    with open(seismo.proc.log_path, "rb") as f:
        f.seek(since)
        return f.read().decode("utf-8", "replace")


def log_size(seismo: harness.Seismo) -> int:
    return os.path.getsize(seismo.proc.log_path)


def temp_segments(data: str) -> list[str]:
    try:
        return [n for n in os.listdir(os.path.join(data, "segments")) if n.startswith(".tmp-")]
    except FileNotFoundError:
        return []


def wait_for_moment(mode: str, seismo: harness.Seismo, data: str, log_from: int, rng, limit: float) -> bool:
    """Sleeps until the moment to kill: random, while a segment is being written, or
    while a WAL truncation is under way. Returns False if the moment did not come."""
    deadline = time.monotonic() + limit
    if mode == "random":
        time.sleep(rng.uniform(2.0, 10.0))
        return True
    while time.monotonic() < deadline:
        if not seismo.proc.alive():
            raise RuntimeError(f"seismo died on its own; log:\n{seismo.proc.log_tail()}")
        if mode == "seal" and temp_segments(data):
            time.sleep(rng.uniform(0.0, 0.02))  # somewhere inside the segment's files
            return True
        if mode == "truncation":
            text = log_text(seismo, log_from)
            if text.count(TRUNC_BEGIN) > text.count(TRUNC_END):
                return True
        time.sleep(0.002)
    return False


def last_per_second(samples, lo: int, hi: int) -> dict[int, int]:
    """[(ts_ms, bits)] → {second: bits} of the last sample in each second within [lo, hi]
    (Seismo keeps one cell per series and second)."""
    out = {}
    for t, b in sorted(samples, key=lambda x: x[0]):
        s = t // 1000
        if lo <= s <= hi:
            out[s] = b
    return out


def run(pb, kills: int = 20, jobs: int = 12, settle: float = 20.0, seed: int | None = None,
        head_window: str = "1m", keep: bool = False, say=print) -> dict:
    """Runs the loop and returns the measured figures; `problems` lists every failure."""
    seed = int(time.time()) if seed is None else seed
    rng = random.Random(seed)
    stack = harness.Stack("killloop")
    os.environ["SEISMO_TEST_TRUNCATION_PAUSE_MS"] = TRUNCATION_PAUSE_MS
    result: dict = {"seed": seed, "kills": kills, "jobs": jobs, "events": [], "problems": []}
    try:
        data = stack.dir("data")
        # 1-minute segments (the shortest) seal once a minute; 1 MiB WAL files rotate every
        # few seconds, so each truncation deletes several files. A shorter head window
        # brings the first seal forward (CI), at the risk of refusing a late backlog.
        seismo = harness.Seismo(data, stack.logs, "--head-window", head_window, "--segment-span", "1m",
                                "--wal-file-size", "1MiB", "--log-level", "debug")
        stack.seismos.append(seismo)
        seismo.start()
        ne_port, prom_port = harness.free_port(), harness.free_port()
        ne = stack.proc("node_exporter", ["prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{ne_port}"])
        harness.wait_until(lambda: ne.alive() and harness.http_ok(f"http://127.0.0.1:{ne_port}/metrics"), 30,
                           what="node_exporter")
        pdir = stack.dir("prometheus")
        cfg = os.path.join(pdir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write(prometheus_config(prom_port, ne_port, jobs, seismo.write_url))
        prom = stack.proc("prometheus", ["prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={pdir}/tsdb",
                                         f"--web.listen-address=127.0.0.1:{prom_port}"])
        harness.wait_until(lambda: prom.alive() and harness.http_ok(f"http://127.0.0.1:{prom_port}/-/ready"), 60,
                           what="prometheus ready")
        t_start = time.time()
        say(f"[kill-loop] seed={seed} kills={kills} jobs={jobs} dir={stack.root}")
        time.sleep(5)

        modes = ["random", "seal", "truncation"]
        landed = {"seal": 0, "truncation": 0}
        for i in range(kills):
            mode = modes[i % 3]
            log_from = log_size(seismo)
            # A seal happens once a minute; give each targeted kill up to two of them.
            hit = wait_for_moment(mode, seismo, data, log_from, rng, limit=130.0)
            seismo.kill9()
            at = time.time() - t_start
            # What the kill interrupted, read from the frozen state it left behind.
            mid_seal = bool(temp_segments(data))
            text = log_text(seismo, log_from)
            mid_trunc = text.count(TRUNC_BEGIN) > text.count(TRUNC_END)
            landed["seal"] += mid_seal
            landed["truncation"] += mid_trunc
            down = rng.uniform(0.0, 3.0)
            time.sleep(down)
            before = log_size(seismo)
            try:
                seismo.start(ready_timeout=120)
            except Exception as e:  # noqa: BLE001 - the store must open every time
                result["problems"].append(f"restart {i + 1} failed: {e}")
                break
            restarted = log_text(seismo, before)
            cleaned = restarted.count(SEAL_CLEANUP)
            event = (f"kill {i + 1:2d} ({mode:10s}{'' if hit else ' - moment not reached'}) at +{at:6.1f}s: "
                     f"mid-seal={'yes' if mid_seal else 'no '} mid-truncation={'yes' if mid_trunc else 'no '} "
                     f"down {down:.1f}s, reopened (unfinished segments removed: {cleaned})")
            result["events"].append(event)
            say("[kill-loop] " + event)
        time.sleep(settle)
        if not seismo.proc.alive():
            result["problems"].append(f"seismo died on its own; log:\n{seismo.proc.log_tail()}")
        t_end = time.time()

        harness.wait_until(lambda: remote_metric(prom_port, HIGHEST_SENT) >= t_end + 3, 300, interval=0.5,
                           what="prometheus remote-write queue to catch up")
        time.sleep(6)  # a shard still in backoff retries once more
        m = {k: remote_metric(prom_port, k) for k in (SENT, FAILED, RETRIED, DROPPED)}
        duration = t_end - t_start
        # Every prometheus-N job scrapes the same counter: one copy (max), not their sum.
        rate = harness.prom_query(prom_port, f'max(rate({SENT}{{remote_name="seismo"}}[1m]))', t_end)
        peak = harness.prom_query(prom_port, f'max_over_time(max(rate({SENT}{{remote_name="seismo"}}[1m]))[{int(duration)}s:5s])', t_end)
        result.update(duration_s=round(duration, 1), restarts=seismo.starts - 1,
                      killed_mid_seal=landed["seal"], killed_mid_truncation=landed["truncation"],
                      prom_sent=int(m[SENT]), prom_failed=int(m[FAILED]), prom_retried=int(m[RETRIED]),
                      prom_dropped=int(m[DROPPED]), avg_rate=round(m[SENT] / duration),
                      rate_last_minute=round(float(rate["result"][0]["value"][1])) if rate["result"] else 0,
                      rate_peak_1m=round(float(peak["result"][0]["value"][1])) if peak["result"] else 0)
        if m[FAILED] or m[DROPPED]:
            result["problems"].append(f"Prometheus gave up on samples: failed={m[FAILED]:.0f} dropped={m[DROPPED]:.0f}")

        # Prometheus's own TSDB over the run window (remote read: raw, bit-exact, with
        # stale markers), only the series it remote-wrote (job prometheus-* / node-*).
        lo, hi = int(t_start) + 1, int(t_end) - 1
        rr = harness.prom_remote_read(prom_port, pb, lo * 1000, hi * 1000 + 999)
        rc = seismo.stop(timeout=180)
        if rc != 0:
            result["problems"].append(f"seismo exit code on SIGTERM: {rc}")
        cells, _, layout = harness.read_store(data)
        result["problems"] += ["layout: " + p for p in layout[:20]]
        expected = stored = 0
        missing, wrong = [], []
        for key, samples in rr.items():
            got = cells.get(key, {})
            for s, b in last_per_second(samples, lo, hi).items():
                expected += 1
                g = got.get(s)
                if g is None:
                    missing.append(f"{canonical_selector(key)} @ {s} (+{s - int(t_start)}s): expected {fmt_bits(b)}")
                elif g != b and not (harness.is_nan_bits(g) and harness.is_nan_bits(b) and b != STALE_NAN_BITS):
                    wrong.append(f"{canonical_selector(key)} @ {s}: expected {fmt_bits(b)}, got {fmt_bits(g)}")
                else:
                    stored += 1
        result.update(series=len(rr), window_s=hi - lo + 1, samples_in_prometheus=expected, samples_in_seismo=stored,
                      lost=len(missing), differing=len(wrong), tsdb_rate=round(expected / (hi - lo + 1)))
        if missing:
            result["problems"].append(f"{len(missing)} samples missing in Seismo:\n    " + "\n    ".join(missing[:15]))
        if wrong:
            result["problems"].append(f"{len(wrong)} samples differ:\n    " + "\n    ".join(wrong[:15]))
        say(f"[kill-loop] duration {duration:.0f}s, {result['restarts']} restarts (store reopened each time), "
            f"{landed['seal']} kills mid-seal, {landed['truncation']} mid-truncation")
        say(f"[kill-loop] Prometheus sent {m[SENT]:.0f} samples incl. re-sends ({result['avg_rate']}/s average, "
            f"peak 1m rate {result['rate_peak_1m']}/s), retried {m[RETRIED]:.0f}, failed {m[FAILED]:.0f}, "
            f"dropped {m[DROPPED]:.0f}")
        say(f"[kill-loop] Prometheus TSDB holds {expected} samples of {len(rr)} series in the {hi - lo + 1} s window "
            f"({result['tsdb_rate']} samples/s scraped and remote-written); "
            f"in Seismo: {stored}; lost: {len(missing)}; differing: {len(wrong)}")
        return result
    finally:
        os.environ.pop("SEISMO_TEST_TRUNCATION_PAUSE_MS", None)
        failed = bool(result["problems"])
        stack.teardown(remove=not (keep or failed))
        if keep or failed:
            say(f"[kill-loop] kept {stack.root}")
