"""(c) Real Prometheus 2.42 + node_exporter remote-writing into seismo for >= 60 s while seismo
is kill -9'd and restarted 3 times. Afterwards every second Prometheus stored locally must be
in seismo bit-exact, Prometheus must report no failed/dropped samples, and pyarrow, DuckDB and
polars must count the same non-null cells as `seismo inspect`.

Knobs (environment): SEISMO_E2E_SECONDS (default 75), SEISMO_E2E_SEED (random otherwise).
"""

import os
import random
import time

import harness
from harness import STALE_NAN_BITS, f64_bits, fmt_bits, label_key, canonical_selector

RUN_SECONDS = max(60, int(os.environ.get("SEISMO_E2E_SECONDS", "75")))
KILLS = 3


def remote_metric(prom_port, name):
    return harness.metric_sum(harness.prom_self_metrics(prom_port), name, remote_name="seismo")


def last_per_second(samples, lo, hi):
    """[(ts_ms, bits)] → {second: bits} of the last sample in each second within [lo, hi]."""
    out = {}
    for t, b in sorted(samples, key=lambda x: x[0]):
        s = t // 1000
        if lo <= s <= hi:
            out[s] = b
    return out


def test_prometheus_remote_write_with_crashes(pb, seismo_bin, stack):
    seed = int(os.environ.get("SEISMO_E2E_SEED", str(int(time.time()))))
    rng = random.Random(seed)
    print(f"\n[e2e] seed={seed} run={RUN_SECONDS}s")

    data = stack.dir("data")
    seismo = stack.seismo(data, "--head-window", "1m", "--segment-span", "1m").start()
    ne_port, prom_port = harness.free_port(), harness.free_port()
    harness.start_node_exporter(stack, ne_port)
    harness.start_prometheus(stack, prom_port, ne_port, seismo.write_url)
    t_start = time.time()

    # kill moments: one in each third of the run, none in the first 8 s or the last 15 s
    span = (RUN_SECONDS - 8 - 15) / KILLS
    kill_at = [8 + i * span + rng.uniform(0.1, 0.9) * span for i in range(KILLS)]
    events = []
    live_checked = False
    for k_at in kill_at:
        while time.time() - t_start < k_at:
            time.sleep(0.1)
            assert seismo.proc.alive(), f"seismo died on its own; log:\n{seismo.proc.log_tail()}"
        seismo.kill9()
        down = rng.uniform(0.0, 3.0)
        events.append(f"kill -9 at +{time.time() - t_start:.1f}s, down {down:.1f}s")
        time.sleep(down)
        seismo.start(ready_timeout=60)
        if not live_checked:
            # `inspect` works read-only on a live data dir
            info = seismo.inspect()
            assert info.get("samples", 0) > 0, f"inspect on live dir: {info}"
            live_checked = True
    while time.time() - t_start < RUN_SECONDS:
        time.sleep(0.2)
        assert seismo.proc.alive(), f"seismo died on its own; log:\n{seismo.proc.log_tail()}"
    t_end = time.time()
    print("[e2e] " + "; ".join(events))

    # wait until Prometheus's queue has sent everything scraped before t_end (+ max backoff)
    def caught_up():
        return remote_metric(prom_port, "prometheus_remote_storage_queue_highest_sent_timestamp_seconds") >= t_end + 6
    harness.wait_until(caught_up, 120, interval=0.5, what="prometheus remote-write queue to catch up")
    time.sleep(6)  # let any shard still in backoff retry once more
    failed = remote_metric(prom_port, "prometheus_remote_storage_samples_failed_total")
    dropped = remote_metric(prom_port, "prometheus_remote_storage_samples_dropped_total")
    meta_failed = remote_metric(prom_port, "prometheus_remote_storage_metadata_failed_total")
    retried = remote_metric(prom_port, "prometheus_remote_storage_samples_retried_total")
    sent = remote_metric(prom_port, "prometheus_remote_storage_samples_total")
    print(f"[e2e] prometheus: sent={sent:.0f} retried={retried:.0f} failed={failed:.0f} dropped={dropped:.0f} "
          f"metadata_failed={meta_failed:.0f}")

    # Prometheus's local data: the query API (raw samples, ms timestamps, stale markers hidden)
    # and remote read (the same plus stale markers, bit-exact)
    q_end = t_end
    api = harness.prom_raw_samples(prom_port, q_end, int(q_end - t_start) + 30)
    first_ms = min(t for v in api.values() for t, _ in v)
    lo, hi = first_ms // 1000, int(q_end) - 1
    rr = harness.prom_remote_read(prom_port, pb, lo * 1000, hi * 1000 + 999)

    rc = seismo.stop(timeout=120)
    assert rc == 0, f"seismo exit code on SIGTERM: {rc}; log:\n{seismo.proc.log_tail()}"

    problems = []
    if failed or dropped or meta_failed:
        problems.append(f"Prometheus reports failed={failed} dropped={dropped} metadata_failed={meta_failed}")

    # harness self-check: API == remote read without stale markers
    for key, samples in api.items():
        a = [(t, f64_bits(v)) for t, v in samples if lo * 1000 <= t <= hi * 1000 + 999]
        r = [(t, b) for t, b in rr.get(key, []) if b != STALE_NAN_BITS]
        if [t for t, _ in a] != [t for t, _ in r] or any(
                x != y and not (harness.is_nan_bits(x) and harness.is_nan_bits(y)) for (_, x), (_, y) in zip(a, r)):
            problems.append(f"harness: query API and remote read disagree for {canonical_selector(key)}")
            break

    cells, _, layout = harness.read_store(data)
    problems += ["layout: " + p for p in layout[:20]]

    missing, wrong, extra, stale_only_in_seismo = [], [], [], 0
    n_expected = 0
    for key, samples in rr.items():
        want = last_per_second(samples, lo, hi)
        api_secs = last_per_second([(t, f64_bits(v)) for t, v in api.get(key, [])], lo, hi)
        got = cells.get(key, {})
        for s, b in sorted(want.items()):
            n_expected += 1
            g = got.get(s)
            if g is None:
                missing.append((s, f"{canonical_selector(key)} @ {s} (+{s - lo}s): expected {fmt_bits(b)}, missing"))
            elif g != b:
                wrong.append(f"{canonical_selector(key)} @ {s}: expected {fmt_bits(b)}, got {fmt_bits(g)}")
        for s in sorted(x for x in got if lo <= x <= hi and x not in want):
            if got[s] == STALE_NAN_BITS and s not in api_secs:
                stale_only_in_seismo += 1  # allowed: Prometheus' API hides stale markers
            else:
                extra.append(f"{canonical_selector(key)} @ {s}: unexpected {fmt_bits(got[s])}")
    for key in cells:
        if key not in rr and any(lo <= s <= hi for s in cells[key]):
            extra.append(f"series only in seismo: {canonical_selector(key)}")

    missing_secs = sorted({s for s, _ in missing})
    print(f"[e2e] compared {len(rr)} series, seconds {lo}..{hi} ({hi - lo + 1}), {n_expected} cells; "
          f"missing={len(missing)} (in {len(missing_secs)} distinct seconds) wrong={len(wrong)} "
          f"extra={len(extra)} stale_only_in_seismo={stale_only_in_seismo}")
    if missing:
        problems.append(f"{len(missing)} cells missing in seismo, seconds (offset from start): "
                        f"{[s - lo for s in missing_secs][:60]}\n    " + "\n    ".join(m for _, m in missing[:15]))
    if wrong:
        problems.append(f"{len(wrong)} cells differ:\n    " + "\n    ".join(wrong[:15]))
    if extra:
        problems.append(f"{len(extra)} cells/series only in seismo:\n    " + "\n    ".join(extra[:15]))

    # third-party readers agree with `seismo inspect` on the stopped data dir
    info = seismo.inspect()
    counts = {"inspect": info.get("samples")}
    for name, fn in (("pyarrow", harness.nonnull_pyarrow), ("duckdb", harness.nonnull_duckdb),
                     ("polars", harness.nonnull_polars)):
        try:
            counts[name] = fn(data)
        except Exception as e:  # noqa: BLE001 - reported below
            counts[name] = f"error: {e!r}"[:300]
    print(f"[e2e] non-null counts: {counts}; inspect: {info}")
    if len({str(v) for v in counts.values()}) != 1:
        problems.append(f"non-null counts differ: {counts}")
    for k in ("series", "samples", "first_timestamp_ms", "last_timestamp_ms", "segments", "bytes_on_disk",
              "bytes_per_sample"):
        if k not in info:
            problems.append(f"inspect output lacks {k!r}: {info}")
    if info.get("segments", 0) < 2:
        problems.append(f"expected several 1-minute segments, inspect says {info.get('segments')}")

    assert not problems, "events: " + "; ".join(events) + "\n" + "\n".join(problems)
