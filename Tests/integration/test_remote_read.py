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


def streamed_read(url: str, pb, start_ms: int, end_ms: int, matchers):
    """POSTs a ReadRequest preferring STREAMED_XOR_CHUNKS; returns {labels: [(min, max, data)]}."""
    import xor_chunks
    types_pb2, remote_pb2 = pb
    req = remote_pb2.ReadRequest()
    req.accepted_response_types.append(remote_pb2.ReadRequest.STREAMED_XOR_CHUNKS)
    req.accepted_response_types.append(remote_pb2.ReadRequest.SAMPLES)
    q = req.queries.add()
    q.start_timestamp_ms, q.end_timestamp_ms = start_ms, end_ms
    for kind, name, value in matchers:
        m = q.matchers.add()
        m.type, m.name, m.value = kind, name, value
    r = harness.http_request("POST", url, harness.snappy_compress(req.SerializeToString()),
                             {"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
                              "X-Prometheus-Remote-Read-Version": "0.1.0"}, 60)
    assert r.status == 200, f"streamed read {url}: {r.status} {r.text[:300]}"
    ctype = dict((k.lower(), v) for k, v in r.headers.items()).get("content-type", "")
    assert ctype.startswith("application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse"), ctype
    out, order = {}, []
    for msg in xor_chunks.parse_frames(r.body):
        resp = remote_pb2.ChunkedReadResponse()
        resp.ParseFromString(msg)
        assert resp.query_index == 0
        for cs in resp.chunked_series:
            key = tuple((l.name, l.value) for l in cs.labels)
            if key not in out:
                order.append(key)
            out.setdefault(key, []).extend((c.min_time_ms, c.max_time_ms, c.type, bytes(c.data)) for c in cs.chunks)
    return out, order, r.body


def test_streamed_xor_chunks_are_byte_identical_to_prometheus(seismo_bin, stack, pb):
    import xor_chunks
    types_pb2, _ = pb
    rng = random.Random(11)
    base_s = int(time.time()) - 900
    series = make_series(base_s, rng)
    seismo = stack.seismo(stack.dir("data"), "--head-window", "2m", "--segment-span", "1m").start()
    rx_port = harness.free_port()
    d = stack.dir("prom")
    with open(os.path.join(d, "empty.yml"), "w") as f:
        f.write("global: {scrape_interval: 15s}\n")
    rx = stack.proc("prom-rx", ["prometheus", f"--config.file={d}/empty.yml", f"--storage.tsdb.path={d}/rx",
                                f"--web.listen-address=127.0.0.1:{rx_port}", "--web.enable-remote-write-receiver"])
    harness.wait_until(lambda: rx.alive() and harness.http_ok(f"http://127.0.0.1:{rx_port}/-/ready"), 60,
                       what="prometheus receiver")
    send_in_time_order(seismo.write_url, series)
    send_in_time_order(f"http://127.0.0.1:{rx_port}/api/v1/write", series)

    matchers = [(types_pb2.LabelMatcher.RE, "__name__", "rr_.*")]
    lo, hi = base_s * 1000, (base_s + SECONDS) * 1000
    ours, our_order, raw = streamed_read(seismo.url + "/api/v1/read", pb, lo, hi, matchers)
    theirs, their_order, _ = streamed_read(f"http://127.0.0.1:{rx_port}/api/v1/read", pb, lo, hi, matchers)

    assert our_order == sorted(our_order), "series must come sorted by labels"
    assert our_order == their_order, f"series differ:\n seismo {our_order}\n prometheus {their_order}"
    problems = []
    for key in their_order:
        want, got = theirs[key], ours[key]
        want_samples = [s for c in want for s in xor_chunks.decode_xor(c[3])]
        got_samples = [s for c in got for s in xor_chunks.decode_xor(c[3])]
        if got_samples != want_samples:
            problems.append(f"{key}: samples differ ({len(got_samples)} vs {len(want_samples)})")
            continue
        for c in got:
            assert c[2] == 1, "chunk encoding must be XOR"
            # Prometheus' head aims at 120 samples per chunk but lets a chunk run to the 2 h
            # range boundary (up to 240 samples); identity with Prometheus is checked below.
            assert len(xor_chunks.decode_xor(c[3])) <= 240, "at most 240 samples per chunk"
        if [(c[0], c[1], c[3]) for c in got] != [(c[0], c[1], c[3]) for c in want]:
            problems.append(f"{key}: chunks differ: seismo {[(c[0], c[1], len(c[3])) for c in got][:6]} "
                            f"prometheus {[(c[0], c[1], len(c[3])) for c in want][:6]}")
    assert not problems, "\n".join(problems)

    # A flipped byte in a frame is caught by the CRC check of the reader.
    broken = bytearray(raw)
    broken[len(broken) // 2] ^= 0xFF
    try:
        xor_chunks.parse_frames(bytes(broken))
    except ValueError:
        pass
    else:
        raise AssertionError("a corrupted frame passed the CRC check")
