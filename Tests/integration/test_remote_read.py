"""Remote read: real Prometheus 2.42 reading Seismo through `remote_read` (read_recent: true)
answers PromQL exactly like a second Prometheus that received the same samples through its
own remote-write receiver. Bad read requests get 400."""

import json
import os
import random
import time
import urllib.parse

import harness
from harness import STALE_NAN_BITS, f64_bits

SECONDS = 600


def make_series(base_s: int, rng: random.Random):
    """Per-second aligned samples (so both stores hold exactly the same points)."""
    series = []
    for job, inst in (("api", "a"), ("api", "b"), ("web", "c")):
        v, pts = 0.0, []
        for s in range(SECONDS):
            v = 0.0 if s == 300 and inst == "a" else v + rng.randint(0, 20)  # a counter reset
            pts.append(((base_s + s) * 1000, f64_bits(v)))
        series.append(([("__name__", "rr_requests_total"), ("instance", inst), ("job", job)], pts))
    t, pts = 20.0, []
    for s in range(SECONDS):
        t += rng.uniform(-0.5, 0.5)
        pts.append(((base_s + s) * 1000, f64_bits(round(t, 3))))
    series.append(([("__name__", "rr_temperature"), ("instance", "c"), ("job", "web")], pts))
    pts = [((base_s + s) * 1000, f64_bits(float(s))) for s in range(400)]
    pts.append(((base_s + 400) * 1000, STALE_NAN_BITS))  # the series ends: PromQL must stop it here
    series.append(([("__name__", "rr_ending"), ("instance", "a"), ("job", "api")], pts))
    return series


def send_in_time_order(url: str, series, chunk_s: int = 60):
    base_ms = min(p[0] for _, pts in series for p in pts)
    for lo in range(0, SECONDS + 1, chunk_s):
        batch = []
        for labels, pts in series:
            part = [p for p in pts if base_ms + lo * 1000 <= p[0] < base_ms + (lo + chunk_s) * 1000]
            if part:
                batch.append((labels, part))
        if not batch:
            continue
        r = harness.http_request("POST", url, harness.snappy_compress(harness.encode_write_request(batch)),
                                 harness.RW_HEADERS, 30)
        assert r.status in (200, 204), f"POST {url}: {r.status} {r.text[:300]}"


def query(port: int, path: str, **params):
    q = urllib.parse.urlencode(params)
    r = harness.http_request("GET", f"http://127.0.0.1:{port}{path}?{q}", timeout=60)
    doc = json.loads(r.body)
    assert r.status == 200 and doc.get("status") == "success", f"{path} {params}: {r.status} {r.text[:400]}"
    assert not doc.get("warnings"), f"{path} {params}: warnings {doc.get('warnings')}"
    data = doc["data"]
    data["result"] = sorted(data["result"], key=lambda x: json.dumps(x["metric"], sort_keys=True))
    return data


def test_prometheus_remote_read_matches_prometheus(seismo_bin, stack):
    rng = random.Random(int(os.environ.get("SEISMO_RR_SEED", "7")))
    base_s = int(time.time()) - 900
    series = make_series(base_s, rng)

    # Seismo with small segments and window, so the answer mixes sealed segments and head.
    seismo = stack.seismo(stack.dir("data"), "--head-window", "2m", "--segment-span", "1m").start()
    rx_port, reader_port = harness.free_port(), harness.free_port()
    d = stack.dir("prom")
    with open(os.path.join(d, "empty.yml"), "w") as f:
        f.write("global: {scrape_interval: 15s}\n")
    with open(os.path.join(d, "reader.yml"), "w") as f:
        f.write("global: {scrape_interval: 15s, evaluation_interval: 15s}\n"
                f"remote_read:\n  - url: {seismo.url}/api/v1/read\n    read_recent: true\n")
    rx = stack.proc("prom-rx", ["prometheus", f"--config.file={d}/empty.yml", f"--storage.tsdb.path={d}/rx",
                                f"--web.listen-address=127.0.0.1:{rx_port}", "--web.enable-remote-write-receiver"])
    reader = stack.proc("prom-reader", ["prometheus", f"--config.file={d}/reader.yml", f"--storage.tsdb.path={d}/reader",
                                        f"--web.listen-address=127.0.0.1:{reader_port}"])
    for port, p in ((rx_port, rx), (reader_port, reader)):
        harness.wait_until(lambda: p.alive() and harness.http_ok(f"http://127.0.0.1:{port}/-/ready"), 60,
                           what=f"prometheus on {port}")

    send_in_time_order(seismo.write_url, series)
    send_in_time_order(f"http://127.0.0.1:{rx_port}/api/v1/write", series)
    # Let the seal loop cut the 1-minute segments that left the 2-minute window.
    harness.wait_until(lambda: len(harness.segment_files(seismo.data_dir)) >= 5, 30, what="segments sealed")

    end = base_s + SECONDS - 1
    checks = [
        ("/api/v1/query", {"query": "rr_temperature", "time": f"{base_s + 500.5}"}),
        ("/api/v1/query", {"query": "rr_requests_total", "time": f"{end}"}),
        ("/api/v1/query", {"query": "rr_ending", "time": f"{base_s + 390}"}),
        ("/api/v1/query", {"query": "rr_ending", "time": f"{base_s + 450}"}),  # after its stale marker: empty
        ("/api/v1/query", {"query": "count_over_time(rr_temperature[5m])", "time": f"{end}"}),
        ("/api/v1/query_range", {"query": "rr_temperature", "start": base_s + 60, "end": end, "step": "15"}),
        ("/api/v1/query_range", {"query": "rate(rr_requests_total[1m])", "start": base_s + 60, "end": end, "step": "15"}),
        ("/api/v1/query_range", {"query": 'sum by (job) (rate(rr_requests_total{job=~"a.*|web"}[1m]))',
                                 "start": base_s + 60, "end": end, "step": "10"}),
        ("/api/v1/query_range", {"query": 'rr_requests_total{instance!="b"}', "start": base_s, "end": end, "step": "30"}),
        ("/api/v1/query_range", {"query": "rr_ending", "start": base_s + 300, "end": base_s + 500, "step": "7"}),
    ]
    mismatches = []
    for path, params in checks:
        want = query(rx_port, path, **params)
        got = query(reader_port, path, **params)
        if got != want:
            mismatches.append(f"{path} {params}:\n  prometheus: {json.dumps(want)[:600]}\n  via seismo: {json.dumps(got)[:600]}")
        assert want["result"] or "rr_ending" in params["query"], f"reference answered nothing for {params}"
    assert not mismatches, "\n".join(mismatches)
    # The stale marker really ended the series in both.
    assert query(reader_port, "/api/v1/query", query="rr_ending", time=f"{base_s + 450}")["result"] == []


def test_bad_read_requests_get_400(seismo_bin, stack, pb):
    seismo = stack.seismo(stack.dir("data")).start()
    url = seismo.url + "/api/v1/read"
    headers = {"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
               "X-Prometheus-Remote-Read-Version": "0.1.0"}
    with open(os.path.join(harness.fixtures_dir(), "read_request_01.bin"), "rb") as f:
        good = f.read()
    r = harness.http_request("POST", url, good, headers, 30)
    assert r.status == 200, f"fixture read request: {r.status} {r.text[:300]}"
    _, remote_pb2 = pb
    resp = remote_pb2.ReadResponse()
    resp.ParseFromString(harness.snappy_uncompress(r.body))
    assert len(resp.results) == 1, "one QueryResult per query"

    cases = {
        "corrupt snappy": b"\xff\x00garbage" + good[5:],
        "truncated": good[: len(good) // 2],
        "garbage protobuf": harness.snappy_compress(b"\x0a\xff\xff\xff\xff\x0f"),
        "empty": b"",
    }
    for name, body in cases.items():
        r = harness.http_request("POST", url, body, headers, 30)
        assert r.status == 400, f"{name}: {r.status} {r.text[:200]}"
        assert r.text.strip(), f"{name}: 400 without a reason"
    r = harness.http_request("POST", url, good, {**headers, "Content-Encoding": "gzip"}, 30)
    assert r.status == 415, f"gzip read request: {r.status}"
    r = harness.http_request("GET", url, None, {}, 30)
    assert r.status == 405, f"GET read: {r.status}"
