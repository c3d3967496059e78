"""Disk full: Seismo's data dir on a 16 MiB tmpfs. Writes go on until the disk is full
(and a segment seal has failed on it too); then every request must get a 5xx naming the cause (Prometheus retries 5xx), Seismo must
keep running and count the failures in /metrics, and nothing half-written may become
visible: a kill -9 on the full disk, restart, and the WAL replays without an invalid
record, no unfinished segment is readable. When space returns, the refused requests
(re-sent, as Prometheus would) and new ones succeed, and after a restart the store holds
exactly every acknowledged sample.

Needs root (mount); skipped otherwise.
"""

import errno
import os
import subprocess
import time

import pytest

import harness
from harness import f64_bits

SERIES = 1000
MiB = 1 << 20


def mount_tmpfs(path: str, size: str):
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path], capture_output=True, timeout=30)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs (needs root): {r.stderr.decode(errors='replace').strip()}")


def fill(path: str, leave: int) -> int:
    """Writes a filler file that leaves about `leave` bytes free; returns its size."""
    st = os.statvfs(os.path.dirname(path))
    size = max(0, st.f_bavail * st.f_frsize - leave)
    with open(path, "wb") as f:
        chunk = b"\0" * MiB
        left = size
        while left > 0:
            try:
                left -= f.write(chunk[:min(left, MiB)])
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
                break
    return size


def request(step: int, base_ms: int):
    """SERIES series, two samples each (seconds 2*step and 2*step+1 after base)."""
    series = []
    for i in range(SERIES):
        labels = [("__name__", "disk_full_test"), ("i", str(i))]
        t = base_ms + step * 2000
        series.append((labels, [(t, f64_bits(step * 10_000.0 + i)), (t + 1000, f64_bits(-(step * 10_000.0 + i)))]))
    return series


def test_disk_full_answers_5xx_keeps_running_and_recovers(seismo_bin, stack):
    mnt = stack.dir("tmpfs")
    mount_tmpfs(mnt, "16m")
    try:
        data = os.path.join(mnt, "data")
        filler = os.path.join(mnt, "filler")
        # 1-minute segments behind a 1-minute window: seals (Parquet writes) also hit
        # the full disk, not only the WAL.
        seismo = stack.seismo(data, "--head-window", "1m", "--segment-span", "1m", "--wal-file-size", "1MiB").start()
        fill(filler, leave=3 * MiB)
        base_ms = (int(time.time()) - 600) * 1000  # inside the future limit; 2 s per request
        exp = harness.Expected()
        refused = []  # requests answered 5xx, re-sent once space returns
        reasons = set()
        step = 0
        seal_failures = 0.0
        # Refused samples still advance the newest second, so segments fall due and their
        # seals meet the full disk too; go on until one has failed.
        while (len(refused) < 5 or seal_failures < 1) and len(refused) < 80 and step < 500:
            series = request(step, base_ms)
            r = seismo.post(harness.snappy_compress(harness.encode_write_request(series)))
            if r.status == 204:
                exp.add_request(series)
            else:
                assert r.status in (500, 503), f"step {step}: {r.status} {r.text[:300]}"
                refused.append(series)
                reasons.add(r.text.splitlines()[0] if r.text else "")
                time.sleep(0.2)  # the seal loop runs once a second
                seal_failures = harness.metric_sum(seismo.metrics(), "seismo_seal_failures_total")
            assert seismo.proc.alive(), f"seismo died on a full disk; log:\n{seismo.proc.log_tail()}"
            step += 1
        # New series on the full disk: their catalog records fail too and must not be lost
        # or half-kept (the ids are already handed out in memory).
        fill(filler + "2", leave=0)  # take what a failed seal gave back
        for k in range(2):
            # Enough new series that their catalog records outgrow a page's slack.
            series = [([("__name__", "disk_full_new_series"), ("k", str(k)), ("n", f"{n:04d}-" + "x" * 40)],
                       [(base_ms + (step - 1) * 2000 + k, f64_bits(k + n + 0.5))]) for n in range(300)]
            r = seismo.post(harness.snappy_compress(harness.encode_write_request(series)))
            # A few hundred bytes may still fit (a failed seal gives its space back).
            assert r.status in (204, 500, 503), f"new series on a full disk: {r.status} {r.text[:300]}"
            print(f"[disk-full] new series {k} on the full disk: {r.status}")
            if r.status == 204:
                exp.add_request(series)
            else:
                refused.append(series)
        acked_full = exp.count()
        print(f"\n[disk-full] {step} requests, {acked_full} samples acknowledged before the disk filled; "
              f"{len(refused)} refused; reasons: {sorted(reasons)}")
        assert refused, f"the disk never filled in {step} requests"
        assert any("No space left on device" in x for x in reasons), f"5xx bodies do not name the cause: {reasons}"
        m = seismo.metrics()
        failures = harness.metric_sum(m, "seismo_wal_failures_total")
        print(f"[disk-full] /metrics: seismo_wal_failures_total={failures:.0f} "
              f"seismo_seal_failures_total={harness.metric_sum(m, 'seismo_seal_failures_total'):.0f}")
        answered_503 = harness.metric_sum(m, "seismo_http_requests_total", handler="write", code="503")
        print(f"[disk-full] /metrics: seismo_http_requests_total{{handler=write,code=503}}={answered_503:.0f}")
        assert failures >= 1, "WAL write failures not counted in /metrics"
        assert answered_503 >= len(refused), "503 answers not counted in /metrics"
        assert seal_failures >= 1, "no seal met the full disk"
        assert harness.http_ok(seismo.url + "/-/healthy") or harness.http_ok(seismo.url + "/-/ready")
        # The refused catalog records wait for space; retrying them must not spin.
        time.sleep(2)
        again = harness.metric_sum(seismo.metrics(), "seismo_wal_failures_total")
        print(f"[disk-full] idle on the full disk for 2 s: {again - failures:.0f} more commit failures")
        assert again - failures <= 4, f"commit retries spin on a full disk: {again - failures:.0f} failures in 2 s"

        # A graceful stop on the full disk finishes (its final seal fails; the WAL keeps
        # the data), and so does a crash: nothing half-written may come back.
        t0 = time.monotonic()
        rc = seismo.stop(timeout=30)
        print(f"[disk-full] SIGTERM on the full disk: exit {rc} after {time.monotonic() - t0:.1f} s")
        assert rc is not None, f"seismo did not stop on a full disk; log:\n{seismo.proc.log_tail()}"
        seismo.start()
        seismo.kill9()
        log_mark = os.path.getsize(seismo.proc.log_path)
        seismo.start()
        with open(seismo.proc.log_path, "rb") as f:
            f.seek(log_mark)
            restart_log = f.read().decode("utf-8", "replace")
        assert "invalid record" not in restart_log, f"a partial WAL record was replayed or cut:\n{restart_log[-3000:]}"
        leftovers = [n for n in os.listdir(os.path.join(data, "segments")) if n.startswith(".tmp-")]
        assert not leftovers, f"unfinished segment directories left: {leftovers}"
        _, _, layout = harness.read_store(data)
        assert not layout, f"a sealed segment is unreadable or inconsistent: {layout[:5]}"

        # Space returns: the refused requests (as Prometheus retries them) and new ones land.
        os.unlink(filler)
        os.unlink(filler + "2")
        for series in refused:
            r = seismo.post(harness.snappy_compress(harness.encode_write_request(series)))
            assert r.status == 204, f"after space returned: {r.status} {r.text[:300]}"
            exp.add_request(series)
        for extra in range(step, step + 20):
            series = request(extra, base_ms)
            r = seismo.post(harness.snappy_compress(harness.encode_write_request(series)))
            assert r.status == 204, f"after space returned: {r.status} {r.text[:300]}"
            exp.add_request(series)

        seismo.kill9()
        seismo.start()
        rc = seismo.stop(timeout=120)
        assert rc == 0, f"seismo exit code on SIGTERM: {rc}; log:\n{seismo.proc.log_tail()}"
        cells, _, layout = harness.read_store(data)
        assert not layout, layout[:5]
        diffs = harness.compare_cells(exp, cells)
        print(f"[disk-full] after space returned and a restart: {exp.count()} acknowledged samples, "
              f"{sum(len(v) for v in cells.values())} stored, differences: {len(diffs)}")
        assert not diffs, "\n".join(diffs)
    finally:
        for s in stack.seismos:
            if s.proc:
                s.proc.stop(timeout=30)
        subprocess.run(["umount", "-l", mnt], timeout=30)
