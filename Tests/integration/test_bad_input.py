"""(b) Bad-input matrix against one seismo: each case answers its status code, and after a
graceful stop the store holds exactly what was acknowledged (nothing lost, nothing extra)."""

import http.client
import os
import re
import time

import harness
from harness import STALE_NAN_BITS, f64_bits

FIXED_NAN = 0x7FF8000000000000
NORMAL_NAN = 0x7FF8000000000001
POS_INF = 0x7FF0000000000000
NEG_INF = 0xFFF0000000000000


def good(name, t_ms, value, **labels):
    lab = [("__name__", name)] + sorted(labels.items())
    return (lab, [(t_ms, f64_bits(value))])


def first_line(r):
    return r.text.splitlines()[0] if r.text else ""


def check_body(problems, case, r, reason, n):
    """A 400 body's first line must name the reason and the number of refused samples."""
    if r.status != 400:
        return
    line = first_line(r)
    if reason not in line:
        problems.append(f"{case}: first line does not name {reason}: {line!r}")
    if not re.search(rf"(?<![0-9.]){n}(?![0-9.])", line):
        problems.append(f"{case}: count {n} not in first line: {line!r}")


def test_bad_input_matrix(seismo_bin, stack):
    seismo = stack.seismo(stack.dir("data"), "--head-window", "10m").start()
    exp = harness.Expected()
    now_s = int(time.time())
    base = (now_s - 120) * 1000  # two minutes back: inside the window, not in the future
    results = []
    body_problems = []

    def send(case, series_or_body, want, headers=None, method="POST", stored=None):
        """Sends one case. stored: the series of the request that must be kept (defaults to
        all of them when want is 204)."""
        if isinstance(series_or_body, (bytes, bytearray)):
            body = bytes(series_or_body)
        else:
            body = harness.snappy_compress(harness.encode_write_request(series_or_body))
            if stored is None and want == 204:
                stored = series_or_body
        try:
            if method == "POST":
                r = seismo.post(body, headers)
            else:
                r = harness.http_request(method, seismo.write_url, None, headers or harness.RW_HEADERS)
        except (OSError, http.client.HTTPException) as e:  # recorded, the matrix goes on
            r = harness.Response(-1, {}, f"connection error: {e!r}".encode())
            if not seismo.proc.alive():
                results.append((case, want, r.status, first_line(r)[:200]))
                raise AssertionError(f"seismo died during case {case!r}; log:\n{seismo.proc.log_tail()}\n"
                                     + "\n".join(f"  {c}: want {w} got {g}" for c, w, g, _ in results))
        results.append((case, want, r.status, first_line(r)[:200]))
        if r.status in (200, 204, 400) and stored:
            exp.add_request(stored)
        return r

    # 1. good baseline data (several series, two seconds)
    baseline = [good("it_good", base + 10, 1.5, case="baseline", n=str(i)) for i in range(5)]
    baseline += [good("it_good", base + 1010, 2.5, case="baseline", n=str(i)) for i in range(5)]
    send("baseline", baseline, 204)

    # 2. transport-level problems: nothing decodable, nothing stored
    send("bad snappy", b"this is not snappy at all, really not", 400)
    send("garbage protobuf", harness.snappy_compress(b"\x0a\xff\x01\x0f\x0f\x0f" + b"\xff" * 32), 400)
    bomb = bytes([0x80, 0x80, 0x80, 0x80, 0x08]) + bytes([0x00, 0x61])  # declares 2^31 bytes
    send("snappy length bomb", bomb, 413)
    valid_body = harness.snappy_compress(harness.encode_write_request([good("it_hdr", base, 1.0)]))
    h = dict(harness.RW_HEADERS, **{"Content-Type": "text/plain"})
    send("wrong Content-Type", valid_body, 415, headers=h)
    h = dict(harness.RW_HEADERS, **{"Content-Encoding": "gzip"})
    send("wrong Content-Encoding", valid_body, 415, headers=h)
    send("GET on write path", b"", 405, method="GET")

    # 3. bad series next to good ones: 400, good ones stored, reason + counts in the first line
    label_cases = [
        ("unsorted labels", [("__name__", "it_bad"), ("b", "1"), ("a", "2")], "unsorted_labels"),
        ("duplicate label name", [("__name__", "it_bad"), ("a", "1"), ("a", "2")], "duplicate_label_name"),
        ("empty label name", [("", "x"), ("__name__", "it_bad")], "empty_label_name"),
        ("missing __name__", [("a", "1"), ("job", "x")], "missing_metric_name"),
    ]
    for i, (case, labels, reason) in enumerate(label_cases):
        goods = [good("it_mixed", base + 2000 + i * 1000, float(i), case=reason, n=str(k)) for k in range(3)]
        bad = (labels, [(base + 2000 + i * 1000, f64_bits(42.0)), (base + 2500 + i * 1000, f64_bits(43.0))])
        r = send(case, goods[:2] + [bad] + goods[2:], 400, stored=goods)
        check_body(body_problems, case, r, reason, 2)  # two refused samples

    # 4. special values: stored bit-exact
    specials = [("nan", FIXED_NAN), ("normal_nan", NORMAL_NAN), ("pos_inf", POS_INF), ("neg_inf", NEG_INF),
                ("stale", STALE_NAN_BITS), ("neg_zero", 0x8000000000000000), ("zero", 0)]
    series = [([("__name__", "it_special"), ("kind", k)], [(base + 6000, bits)]) for k, bits in specials]
    send("NaN/Inf/stale values", series, 204)

    # 5. one sample 1 h in the future among good ones: 400 too_far_in_future, others stored
    fut = ([("__name__", "it_future")], [((now_s + 3600) * 1000, f64_bits(9.0))])
    goods = [good("it_future_ok", base + 7000, 3.0)]
    r = send("1 h in the future", goods + [fut], 400, stored=goods)
    check_body(body_problems, "1 h in the future", r, "too_far_in_future", 1)
    # the refused future sample must not move the window: current data is still accepted
    send("after future", [good("it_after_future", (now_s - 60) * 1000, 4.0)], 204)

    # 6. newer data, then a sample older than (newest second - window): 400 too_old, others stored
    newer = [good("it_newest", now_s * 1000, 5.0)]
    send("newer data", newer, 204)
    old = ([("__name__", "it_old")], [((now_s - 3600) * 1000, f64_bits(6.0))])
    goods = [good("it_old_ok", (now_s - 30) * 1000, 7.0)]
    r = send("older than window", goods + [old], 400, stored=goods)
    check_body(body_problems, "older than window", r, "too_old", 1)

    # 7. later timestamp within a second wins, also across requests; repeated series in a request
    send("same second twice", [good("it_dup", base + 8100, 1.0), good("it_dup", base + 8900, 2.0),
                               good("it_dup", base + 8500, 3.0)], 204)
    send("same second, earlier ts later", [good("it_dup", base + 8200, 4.0)], 204)

    # 8. empty request and a metadata-only request
    send("empty request", harness.snappy_compress(b""), 204)
    meta = os.path.join(harness.fixtures_dir(), "prom242_metadata.bin")
    with open(meta, "rb") as f:
        send("metadata fixture", f.read(), 204)

    # 9. the server still works after all that
    send("final good", [good("it_final", now_s * 1000 - 500, 8.0)], 204)

    table = "\n".join(f"  {c:32s} want {w} got {g}  {b!r}" for c, w, g, b in results)
    wrong = [(c, w, g, b) for c, w, g, b in results if w != g]

    rc = seismo.stop()
    cells, _, problems = harness.read_store(seismo.data_dir)
    diffs = harness.compare_cells(exp, cells)

    msgs = []
    if wrong:
        msgs.append("wrong status codes:\n" + "\n".join(f"  {c}: want {w}, got {g} {b!r}" for c, w, g, b in wrong))
    if body_problems:
        msgs.append("400 bodies:\n  " + "\n  ".join(body_problems))
    if rc != 0:
        msgs.append(f"SIGTERM exit code {rc}")
    if problems:
        msgs.append("layout problems:\n  " + "\n  ".join(problems[:20]))
    if diffs:
        msgs.append(f"store vs acknowledged data ({exp.count()} cells expected):\n  " + "\n  ".join(diffs))
    assert not msgs, "\n".join(msgs) + "\nall cases:\n" + table
