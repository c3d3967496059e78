"""Issue 7 (part): credentials per endpoint class and request limits, against a running
Seismo; plus real Prometheus 2.42 remote-writing with a bearer `credentials_file`.

- write / read / export / admin each take their own credentials (bearer or basic, from
  files); missing or wrong credentials get 401 with WWW-Authenticate, before the body
  is read; /metrics and the health probes stay open.
- limits: labels per series, label value length, series per request (413), concurrent
  requests (503 + Retry-After), the read answer size, the
  cardinality cap, each counted in /metrics.
"""

import base64
import os
import time

import harness
from harness import f64_bits

CONFIG = """\
auth:
  write: {{bearer_token_file: {write_token}}}
  read: {{basic_auth: {{username: reader, password_file: {read_password}}}}}
  admin: {{bearer_token_file: {admin_token}}}
  export: {{bearer_token_file: {export_token}}}
limits:
  max_labels_per_series: 5
  max_label_value_length: 32
  max_series_per_request: 50
  max_series: 60
  max_read_samples: 5
"""


def write_secret(path, text):
    with open(path, "w") as f:
        f.write(text + "\n")
    return path


def body(series):
    return harness.snappy_compress(harness.encode_write_request(series))


def one_series(name, labels=(), t=None, v=1.0):
    t = t if t is not None else (int(time.time()) - 5) * 1000
    return ([("__name__", name), *labels], [(t, f64_bits(v))])


def start(stack):
    d = stack.dir("cfg")
    cfg = os.path.join(d, "seismo.yaml")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(write_token=write_secret(os.path.join(d, "write.token"), "w-secret-1"),
                              read_password=write_secret(os.path.join(d, "read.password"), "r-pass"),
                              admin_token=write_secret(os.path.join(d, "admin.token"), "a-secret"),
                              export_token=write_secret(os.path.join(d, "export.token"), "e-secret")))
    return stack.seismo(stack.dir("data"), "--config", cfg).start()


def test_credentials_per_endpoint_class(seismo_bin, stack):
    seismo = start(stack)
    rw = dict(harness.RW_HEADERS)
    b = body([one_series("auth_probe")])

    r = harness.http_request("POST", seismo.write_url, b, rw)
    assert r.status == 401 and r.text.startswith("unauthorized: missing credentials"), (r.status, r.text)
    assert "Bearer" in (r.headers.get("WWW-Authenticate") or r.headers.get("www-authenticate") or "")
    r = harness.http_request("POST", seismo.write_url, b, {**rw, "Authorization": "Bearer w-secret-2"})
    assert r.status == 401 and "wrong credentials" in r.text, (r.status, r.text)
    r = harness.http_request("POST", seismo.write_url, b, {**rw, "Authorization": "Bearer w-secret-1"})
    assert r.status == 204, (r.status, r.text)
    # A big unauthenticated body is refused on its head, not buffered.
    r = harness.http_request("POST", seismo.write_url, b"\0" * (8 << 20), rw)
    assert r.status == 401

    read = harness.http_request("POST", seismo.url + "/api/v1/read", b"", {"Content-Type": "application/x-protobuf"})
    assert read.status == 401 and "Basic" in (read.headers.get("WWW-Authenticate") or read.headers.get("www-authenticate") or "")
    good = base64.b64encode(b"reader:r-pass").decode()
    bad = base64.b64encode(b"reader:r-pasS").decode()
    r = harness.http_request("POST", seismo.url + "/api/v1/read", b"", {"Authorization": "Basic " + bad})
    assert r.status == 401
    r = harness.http_request("POST", seismo.url + "/api/v1/read", b"", {"Authorization": "Basic " + good})
    assert r.status != 401, (r.status, r.text)  # authorised; the empty body itself is a 400/415
    r = harness.http_request("GET", seismo.url + "/api/v1/alerts", None, {"Authorization": "Basic " + good})
    assert r.status == 200, (r.status, r.text)
    # The write token does not open the read endpoints.
    r = harness.http_request("GET", seismo.url + "/api/v1/alerts", None, {"Authorization": "Bearer w-secret-1"})
    assert r.status == 401

    # The report page shows what an export hands out: the export credentials, not admin's.
    assert harness.http_request("GET", seismo.url + "/report").status == 401
    r = harness.http_request("GET", seismo.url + "/report", None, {"Authorization": "Bearer a-secret"})
    assert r.status == 401, (r.status, r.text)
    r = harness.http_request("GET", seismo.url + "/report", None, {"Authorization": "Bearer e-secret"})
    assert r.status == 200 and r.text.startswith("<!DOCTYPE html>"), (r.status, r.text[:300])

    for path in ("/metrics", "/-/healthy", "/-/ready"):
        assert harness.http_request("GET", seismo.url + path).status == 200, path
    m = seismo.metrics()
    assert harness.metric_sum(m, "seismo_requests_unauthorized_total") >= 6


def test_limits_answer_clearly_and_are_counted(seismo_bin, stack):
    seismo = start(stack)
    hdr = {**harness.RW_HEADERS, "Authorization": "Bearer w-secret-1"}
    t = (int(time.time()) - 5) * 1000
    # labels per series and value length: the bad series are refused (400), the good stored.
    r = harness.http_request("POST", seismo.write_url, body([
        one_series("ok_a", t=t),
        one_series("too_many", [("a", "1"), ("b", "2"), ("c", "3"), ("d", "4"), ("e", "5")], t=t),
        one_series("too_long", [("v", "x" * 33)], t=t),
    ]), hdr)
    assert r.status == 400, (r.status, r.text)
    assert r.text.startswith("rejected 2 samples"), r.text
    assert "too_many_labels" in r.text and "label_value_too_long" in r.text, r.text
    # series per request: the whole request is too large.
    r = harness.http_request("POST", seismo.write_url, body([one_series(f"s{i}", t=t) for i in range(51)]), hdr)
    assert r.status == 413 and r.text.startswith("series: request has 51 series, limit is 50"), (r.status, r.text)
    # cardinality cap (60): 1 series exists; 50 more fit in one request, then 10, then refusals.
    assert harness.http_request("POST", seismo.write_url, body([one_series(f"c{i}", t=t) for i in range(50)]), hdr).status == 204
    r = harness.http_request("POST", seismo.write_url, body([one_series(f"d{i}", t=t) for i in range(12)]), hdr)
    assert r.status == 400 and "series_limit" in r.text and "stored 9 samples" in r.text, (r.status, r.text)
    # an existing series still flows
    r = harness.http_request("POST", seismo.write_url, body([one_series("ok_a", t=t + 1000)]), hdr)
    assert r.status == 204, (r.status, r.text)

    m = seismo.metrics()
    assert harness.metric_sum(m, "seismo_samples_rejected_total", reason="too_many_labels") == 1
    assert harness.metric_sum(m, "seismo_samples_rejected_total", reason="label_value_too_long") == 1
    assert harness.metric_sum(m, "seismo_samples_rejected_total", reason="series_limit") == 3
    assert harness.metric_sum(m, "seismo_requests_refused_total", limit="series_per_request") == 1


def test_read_answer_limit(seismo_bin, stack, pb):
    """limits.max_read_samples: a remote-read answer over the limit is refused with the
    limit named, counted; a read within it is answered."""
    types_pb2, remote_pb2 = pb
    seismo = start(stack)
    hdr = {**harness.RW_HEADERS, "Authorization": "Bearer w-secret-1"}
    t0 = (int(time.time()) - 20) * 1000
    series = [one_series("wide", [("k", str(i))], t=t0 + i * 1000) for i in range(8)]
    assert harness.http_request("POST", seismo.write_url, body(series), hdr).status == 204

    def read(matchers):
        req = remote_pb2.ReadRequest()
        q = req.queries.add(start_timestamp_ms=t0 - 1000, end_timestamp_ms=t0 + 10_000)
        for name, value in matchers:
            q.matchers.add(type=types_pb2.LabelMatcher.EQ, name=name, value=value)
        auth = "Basic " + base64.b64encode(b"reader:r-pass").decode()
        return harness.http_request("POST", seismo.url + "/api/v1/read",
                                    harness.snappy_compress(req.SerializeToString()),
                                    {"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
                                     "X-Prometheus-Remote-Read-Version": "0.1.0", "Authorization": auth})

    r = read([("__name__", "wide")])
    assert r.status == 400 and r.text.startswith("read answer too large: more than 5 samples"), (r.status, r.text)
    assert "limits.max_read_samples" in r.text, r.text
    r = read([("__name__", "wide"), ("k", "3")])
    assert r.status == 200, (r.status, r.text)
    m = seismo.metrics()
    assert harness.metric_sum(m, "seismo_requests_refused_total", limit="read_samples") == 1


def test_prometheus_writes_with_bearer_credentials_file(seismo_bin, stack):
    seismo = start(stack)
    ne_port, prom_port = harness.free_port(), harness.free_port()
    harness.start_node_exporter(stack, ne_port)
    token_file = os.path.join(stack.dir("cfg"), "write.token")
    d = stack.dir("prometheus")
    cfg = os.path.join(d, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write(f"""\
global: {{scrape_interval: 1s, scrape_timeout: 1s}}
scrape_configs:
  - job_name: node
    static_configs: [{{targets: ['127.0.0.1:{ne_port}']}}]
    metric_relabel_configs: [{{source_labels: [__name__], regex: 'node_(load|time).*', action: keep}}]
remote_write:
  - url: {seismo.write_url}
    authorization: {{type: Bearer, credentials_file: {token_file}}}
    queue_config: {{batch_send_deadline: 1s}}
""")
    stack.proc("prometheus", ["prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={d}/tsdb",
                              f"--web.listen-address=127.0.0.1:{prom_port}"])
    harness.wait_until(lambda: harness.metric_sum(seismo.metrics(), "seismo_samples_stored_total") > 20, 60,
                       what="samples from Prometheus with a bearer token")
    assert harness.metric_sum(seismo.metrics(), "seismo_requests_unauthorized_total") == 0


def test_concurrent_requests_beyond_the_limit_get_503_with_retry_after(seismo_bin, stack, pb):
    """limits.max_concurrent_requests: with 1 allowed, a burst of simultaneous remote reads
    gets some 503s with Retry-After (the sender backs off), each counted; the rest are
    answered, and the health probes are answered throughout."""
    import threading
    types_pb2, remote_pb2 = pb
    seismo = stack.seismo(stack.dir("data"), "--max-concurrent-requests", "1").start()
    t0 = (int(time.time()) - 700) * 1000
    # 200 series x 600 s: each read copies and encodes 120k samples, long enough to overlap.
    for first in range(0, 600, 100):
        series = [([("__name__", "busy"), ("k", f"{k:03d}")], [(t0 + s * 1000, f64_bits(s)) for s in range(first, first + 100)])
                  for k in range(200)]
        assert seismo.post(body(series)).status == 204
    req = remote_pb2.ReadRequest()
    q = req.queries.add(start_timestamp_ms=t0, end_timestamp_ms=t0 + 600_000)
    q.matchers.add(type=types_pb2.LabelMatcher.EQ, name="__name__", value="busy")
    payload = harness.snappy_compress(req.SerializeToString())
    headers = {"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
               "X-Prometheus-Remote-Read-Version": "0.1.0"}
    results = []
    start = threading.Barrier(24)

    def one():
        start.wait()
        r = harness.http_request("POST", seismo.url + "/api/v1/read", payload, headers, timeout=60)
        results.append(r)
    threads = [threading.Thread(target=one) for _ in range(24)]
    for t in threads:
        t.start()
    healthy = harness.http_ok(seismo.url + "/-/healthy")
    for t in threads:
        t.join()
    codes = sorted(r.status for r in results)
    refused = [r for r in results if r.status == 503]
    assert refused and all(r.status in (200, 503) for r in results), codes
    assert any(r.status == 200 for r in results), codes
    for r in refused:
        assert r.headers.get("retry-after") == "1", r.headers
        assert r.text.startswith("too many concurrent requests: 1 in flight"), r.text
    assert healthy
    m = seismo.metrics()
    assert harness.metric_sum(m, "seismo_requests_refused_total", limit="concurrent_requests") == len(refused)
