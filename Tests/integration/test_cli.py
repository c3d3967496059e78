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


def test_config_file_sets_listen_and_data_and_flags_win(seismo_bin, stack):
    """`--config FILE` supplies settings; a flag given too overrides the file."""
    port = harness.free_port()
    data_from_file = stack.dir("data-from-file")
    data_from_flag = stack.dir("data-from-flag")
    cfg = stack.dir("cfg") + "/seismo.yaml"
    with open(cfg, "w") as f:
        f.write(f"listen: 127.0.0.1:{port}\n"
                f"data: {data_from_file}\n"
                "storage:\n  head_window: 90s\n  segment_span: 2m\n  columns_per_file: 7\n"
                "limits:\n  max_body_size: 1MiB\n")
    proc = stack.proc("seismo-config", [seismo_bin, "serve", "--config", cfg, "--data", data_from_flag])
    try:
        harness.wait_until(lambda: harness.http_ok(f"http://127.0.0.1:{port}/-/ready"), 60,
                           what="seismo listening on the port from the config file")
        # max_body_size from the file: a 2 MiB body is refused with 413 before decoding.
        r = harness.http_request("POST", f"http://127.0.0.1:{port}/api/v1/write", b"\0" * (2 << 20),
                                 harness.RW_HEADERS, 30)
        assert r.status == 413, f"2 MiB body with max_body_size 1MiB: {r.status} {r.text[:200]}"
        assert r.text.startswith("request body too large"), r.text[:200]
    finally:
        assert proc.stop(60) == 0
    import os
    assert os.path.isdir(os.path.join(data_from_flag, "wal")), "the --data flag must win over the file"
    assert not os.path.exists(os.path.join(data_from_file, "wal")), "the file's data dir must not be used"


def test_bad_config_is_a_clear_error(seismo_bin, stack):
    cfg = stack.dir("badcfg") + "/seismo.yaml"
    with open(cfg, "w") as f:
        f.write("storage:\n  segment_span: 10s\n")
    r = subprocess.run([seismo_bin, "serve", "--config", cfg, "--data", stack.dir("d")], capture_output=True, timeout=60)
    err = r.stderr.decode(errors="replace")
    assert r.returncode != 0, "a 10 s segment span must be refused"
    assert "segment span" in err, err[-500:]
