"""(d) The CLI: `seismo serve --help` documents every flag; `seismo inspect` reads a live data
dir; the /metrics, /-/healthy and /-/ready endpoints answer."""

import subprocess
import time

import harness
from harness import f64_bits

SERVE_FLAGS = ["--config", "--listen", "--data", "--head-window", "--segment-span", "--retention", "--log-level"]


def test_serve_help_documents_every_flag(seismo_bin):
    r = subprocess.run([seismo_bin, "serve", "--help"], capture_output=True, timeout=30)
    text = (r.stdout + r.stderr).decode(errors="replace")
    assert r.returncode == 0, f"`seismo serve --help` exit {r.returncode}:\n{text[-2000:]}"
    missing = [f for f in SERVE_FLAGS if f not in text]
    assert not missing, f"`seismo serve --help` does not mention {missing}:\n{text}"


def test_inspect_live_data_dir_and_endpoints(seismo_bin, stack):
    seismo = stack.seismo(stack.dir("data")).start()
    for path in ("/-/healthy", "/-/ready"):
        r = harness.http_request("GET", seismo.url + path, timeout=10)
        assert r.status == 200, f"GET {path}: {r.status}"

    now = int(time.time()) - 30
    series = [([("__name__", "it_cli"), ("n", str(i))], [((now + k) * 1000 + 250, f64_bits(float(i * 10 + k)))
                                                        for k in range(4)]) for i in range(3)]
    r = seismo.post(harness.snappy_compress(harness.encode_write_request(series)))
    assert r.status == 204, f"POST: {r.status} {r.text[:300]}"

    stored = harness.metric_sum(seismo.metrics(), "seismo_samples_stored_total")
    assert stored == 12, f"seismo_samples_stored_total = {stored}, want 12"

    info = seismo.inspect()  # the server is still running: head only in the WAL
    assert seismo.proc.alive()
    for k in ("series", "samples", "first_timestamp_ms", "last_timestamp_ms", "segments", "bytes_on_disk",
              "bytes_per_sample"):
        assert k in info, f"inspect output lacks {k!r}: {info}"
    assert info["series"] == 3, info
    assert info["samples"] == 12, info
    assert info["first_timestamp_ms"] in (now * 1000, now * 1000 + 250), info
    assert info["last_timestamp_ms"] in ((now + 3) * 1000, (now + 3) * 1000 + 250), info
    assert info["bytes_on_disk"] > 0, info

    rc = seismo.stop()
    assert rc == 0, f"SIGTERM exit code {rc}"
    info2 = seismo.inspect()
    assert info2["samples"] == 12 and info2["series"] == 3, info2
    assert info2["segments"] >= 1, info2
