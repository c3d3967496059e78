"""Group commit's announcements, against a running Seismo.

A remote write is announced to the store when its request head arrives, so a commit
falling due while its body is still on the wire waits (up to 2 ms) to share the fsync.
Every request that will not reach the store must withdraw its announcement: one left
behind would make every later commit wait its full 2 ms. The store counts commits whose
wait ran out (`seismo_wal_commit_gather_timeouts_total`), which is what this checks.
"""

import socket
import time

import harness
from harness import f64_bits

TIMEOUTS = "seismo_wal_commit_gather_timeouts_total"


def body(name, t_s, v=1.0):
    return harness.snappy_compress(harness.encode_write_request([([("__name__", name)], [(t_s * 1000, f64_bits(v))])]))


def raw_head(seismo, length, extra=""):
    port = int(seismo.url.rsplit(":", 1)[1])
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall((f"POST /api/v1/write HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\n"
               f"Content-Encoding: snappy\r\nContent-Length: {length}\r\n{extra}\r\n").encode())
    return s


def timeouts(seismo):
    return harness.metric_sum(seismo.metrics(), TIMEOUTS)


def sequential_writes(seismo, n, t0):
    for i in range(n):
        r = seismo.post(body("gc_seq", t0 + i, float(i)))
        assert r.status == 204, r.text()


def test_requests_that_never_append_withdraw_their_announcement(seismo_bin, stack):
    seismo = stack.seismo(stack.dir("data")).start()
    t0 = int(time.time()) - 300
    assert timeouts(seismo) == 0

    # Positive control: a sender stalled mid-body holds its announcement, so commits of
    # other requests meanwhile wait out their 2 ms (bounded: they still succeed).
    stalled = raw_head(seismo, 1000)
    stalled.sendall(b"\x00" * 10)
    time.sleep(0.2)
    sequential_writes(seismo, 5, t0)
    held = timeouts(seismo)
    assert held >= 5, f"commits did not wait for the announced, stalled request ({held} timed out)"
    stalled.close()  # connection closed mid-body: the announcement goes with it
    time.sleep(0.5)

    # Requests refused after their head was announced.
    for _ in range(5):
        s = raw_head(seismo, 1000)  # closed mid-body
        s.sendall(b"\x01" * 100)
        s.close()
    r = harness.http_request("POST", seismo.write_url, body("gc_x", t0), {"Content-Type": "application/x-protobuf"})
    assert r.status == 415, r.text()  # no Content-Encoding
    r = harness.http_request("POST", seismo.write_url, b"not snappy at all", harness.RW_HEADERS)
    assert r.status == 400, r.text()
    r = harness.http_request("POST", seismo.write_url, body("gc_x", t0),
                             {**harness.RW_HEADERS, "Content-Type": "text/plain"})
    assert r.status == 415, r.text()
    # a sample far in the future: refused by the store's append, which counts it off
    r = seismo.post(body("gc_future", int(time.time()) + 86400))
    assert r.status == 400, r.text()
    r = harness.http_request("GET", seismo.write_url)
    assert r.status == 405, r.text()
    time.sleep(0.5)

    before = timeouts(seismo)
    commits = harness.metric_sum(seismo.metrics(), "seismo_wal_commits_total")
    sequential_writes(seismo, 30, t0 + 10)
    after = timeouts(seismo)
    assert harness.metric_sum(seismo.metrics(), "seismo_wal_commits_total") >= commits + 30
    assert after == before, f"{after - before} of 30 lone commits waited out 2 ms: an announcement was left behind"
