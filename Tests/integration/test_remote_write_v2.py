"""Remote-Write 2.0 on POST /api/v1/write: hand-built v2 requests (symbols, samples,
exemplars, metadata, a histogram) land in the store; the Written headers are on every
answer; malformed symbol references get 400; v2 dispatch is by Content-Type."""

import struct
import time

import harness
from harness import STALE_NAN_BITS, f64_bits

V2_HEADERS = {
    "Content-Type": "application/x-protobuf;proto=io.prometheus.write.v2.Request",
    "Content-Encoding": "snappy",
    "X-Prometheus-Remote-Write-Version": "2.0.0",
    "User-Agent": "seismo-integration-tests/1",
}


def _v(n):
    return harness._varint(n)


def _ld(f, payload):
    return _v(f << 3 | 2) + _v(len(payload)) + payload


def _packed(f, nums):
    return _ld(f, b"".join(_v(n) for n in nums))


def v2_request(symbols, series):
    """series: dicts with refs, samples [(ts_ms, bits)], exemplars [(refs, value, ts)],
    histograms [(count, sum, ts)], metadata (type, help_ref, unit_ref) or None."""
    out = b"".join(_ld(4, s.encode()) for s in symbols)
    for s in series:
        ts = _packed(1, s["refs"])
        for t, bits in s.get("samples", []):
            ts += _ld(2, b"\x09" + struct.pack("<Q", bits) + _v(2 << 3) + _v(t))
        for count, total, t in s.get("histograms", []):
            ts += _ld(3, _v(1 << 3) + _v(count) + b"\x19" + struct.pack("<d", total) + _v(15 << 3) + _v(t))
        for refs, value, t in s.get("exemplars", []):
            ts += _ld(4, _packed(1, refs) + b"\x11" + struct.pack("<d", value) + _v(3 << 3) + _v(t))
        if s.get("metadata"):
            mtype, help_ref, unit_ref = s["metadata"]
            ts += _ld(5, _v(1 << 3) + _v(mtype) + _v(3 << 3) + _v(help_ref) + _v(4 << 3) + _v(unit_ref))
        out += _ld(5, ts)
    return harness.snappy_compress(out)


def written(r):
    h = r.headers
    return (int(h.get("x-prometheus-remote-write-samples-written", -1)),
            int(h.get("x-prometheus-remote-write-histograms-written", -1)),
            int(h.get("x-prometheus-remote-write-exemplars-written", -1)))


def test_remote_write_v2_round_trip(seismo_bin, stack):
    seismo = stack.seismo(stack.dir("data")).start()
    now = int(time.time()) - 60
    symbols = ["", "__name__", "v2_gauge", "instance", "a", "job", "node", "A gauge.", "bytes",
               "v2_hist", "trace_id", "abc"]
    gauge_refs = [1, 2, 3, 4, 5, 6]  # __name__=v2_gauge, instance=a, job=node
    samples = [((now + k) * 1000, f64_bits(float(k) * 1.5)) for k in range(5)] + [((now + 5) * 1000, STALE_NAN_BITS)]

    # 1. Samples + metadata: 204 and all six samples written.
    r = seismo.post(v2_request(symbols, [{"refs": gauge_refs, "samples": samples, "metadata": (2, 7, 8)}]), V2_HEADERS)
    assert r.status == 204, f"v2 samples: {r.status} {r.text[:300]}"
    assert written(r) == (6, 0, 0), r.headers

    # 2. A histogram series and an exemplar: samples stored, the rest refused and named (400, not retried).
    r = seismo.post(v2_request(symbols, [
        {"refs": [1, 9, 3, 4], "histograms": [(10, 2.5, (now + 1) * 1000)]},
        {"refs": gauge_refs, "samples": [((now + 6) * 1000, f64_bits(9.0))], "exemplars": [([10, 11], 1.0, (now + 6) * 1000)]},
    ]), V2_HEADERS)
    assert r.status == 400, f"histogram + exemplar: {r.status} {r.text[:300]}"
    assert written(r) == (1, 0, 0), r.headers
    assert r.text.startswith("rejected"), r.text[:200]
    assert "native histogram" in r.text, r.text[:300]

    # 3. Malformed symbol tables get 400 with the Written headers (nothing written).
    bad = {
        "ref out of range": v2_request(symbols, [{"refs": [1, 99], "samples": samples[:1]}]),
        "symbols[0] not empty": v2_request(["x"] + symbols[1:], [{"refs": gauge_refs, "samples": samples[:1]}]),
        "odd label refs": v2_request(symbols, [{"refs": [1, 2, 3], "samples": samples[:1]}]),
    }
    for name, body in bad.items():
        r = seismo.post(body, V2_HEADERS)
        assert r.status == 400, f"{name}: {r.status} {r.text[:200]}"
        assert written(r) == (0, 0, 0), f"{name}: {r.headers}"
        assert r.text.startswith("rw2:"), f"{name}: {r.text[:200]}"

    # 4. An unknown proto is 415; a v1 body is still accepted as v1.
    r = seismo.post(v2_request(symbols, []), {**V2_HEADERS, "Content-Type": "application/x-protobuf;proto=foo.Bar"})
    assert r.status == 415, r.status

    # The store holds exactly the float samples, stale marker bit-exact.
    assert seismo.stop() == 0
    cells, columns, problems = harness.read_store(seismo.data_dir)
    assert not problems, problems
    key = harness.label_key([("__name__", "v2_gauge"), ("instance", "a"), ("job", "node")])
    assert key in cells, f"v2_gauge not stored: {list(columns.values())}"
    want = {t // 1000: b for t, b in samples}
    want[now + 6] = f64_bits(9.0)
    assert cells[key] == want, cells[key]
    assert not any("v2_hist" in c for c in columns.values()), "histograms are not stored as floats"
