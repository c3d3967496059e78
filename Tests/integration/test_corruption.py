"""Issue 7, corruption: a data directory with a flipped byte in a WAL record, a torn WAL
tail, a truncated and a zero-length segment file and garbage files still starts the real
server, which reports each problem (log line with path and byte offset, the
seismo_storage_problems_total counter, `seismo inspect`) and serves everything intact
through remote read and export (docs/storage-format.md §9)."""

import os
import subprocess
import struct
import time
import urllib.parse

import harness
from harness import f64_bits

FLAGS = ("--segment-span", "1m", "--head-window", "10m")
READ_HEADERS = {"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
                "X-Prometheus-Remote-Read-Version": "0.1.0"}


def post(seismo, name, t_s, value):
    body = harness.snappy_compress(harness.encode_write_request(
        [([("__name__", name), ("job", "it")], [(t_s * 1000, f64_bits(value))])]))
    r = seismo.post(body)
    assert r.status == 204, f"POST: {r.status} {r.text[:300]}"


def remote_read(seismo, pb, name, lo_s, hi_s):
    """{second: value} of a series through /api/v1/read (SAMPLES)."""
    types_pb2, remote_pb2 = pb
    req = remote_pb2.ReadRequest()
    q = req.queries.add()
    q.start_timestamp_ms, q.end_timestamp_ms = lo_s * 1000, hi_s * 1000
    m = q.matchers.add()
    m.type, m.name, m.value = types_pb2.LabelMatcher.EQ, "__name__", name
    r = harness.http_request("POST", seismo.url + "/api/v1/read",
                             harness.snappy_compress(req.SerializeToString()), READ_HEADERS, 60)
    assert r.status == 200, f"remote read: {r.status} {r.text[:300]}"
    resp = remote_pb2.ReadResponse()
    resp.ParseFromString(harness.snappy_uncompress(r.body))
    return {s.timestamp // 1000: s.value for ts in resp.results[0].timeseries for s in ts.samples}


def record_offsets(path):
    """Start offsets of the records in a WAL file; its zero-filled tail is its end."""
    data = open(path, "rb").read()
    offsets, at = [], 0
    while at + 8 <= len(data) and data[at:at + 8] != bytes(8):
        offsets.append(at)
        at += 8 + struct.unpack_from("<I", data, at)[0]
    return offsets


def data_end(path):
    """Where the records of a WAL file end (the rest, if any, is zero-filled ahead)."""
    offsets = record_offsets(path)
    return offsets[-1] + 8 + struct.unpack_from("<I", open(path, "rb").read(), offsets[-1])[0]


def wal_files(data):
    """WAL files holding records (not an empty or zero-filled spare)."""
    wal = os.path.join(data, "wal")
    paths = [os.path.join(wal, f) for f in sorted(os.listdir(wal))]
    return [p for p in paths if record_offsets(p)]


def problems(seismo):
    m = seismo.metrics()
    return {k: harness.metric_sum(m, "seismo_storage_problems_total", kind=k)
            for k in ("wal_torn_tail", "wal_corrupt", "catalog", "segment", "checkpoint", "unknown_file")}


def test_damaged_data_dir_starts_reports_and_serves_the_rest(seismo_bin, stack, pb):
    data = stack.dir("data")
    base = (int(time.time()) // 60 - 8) * 60  # whole minutes, inside the head window
    seismo = stack.seismo(data, *FLAGS).start()
    # Three one-minute segments A, B, C for it_seg.
    for k in range(3):
        post(seismo, "it_seg", base + 60 * k + 5, float(k))
    assert seismo.stop() == 0
    segments = sorted(os.listdir(os.path.join(data, "segments")))
    assert len(segments) == 3, segments

    # WAL only (no seal): three requests = three records, then kill -9.
    seismo.start()
    for k in range(3):
        post(seismo, "it_wal", base + 240 + k, 10.0 + k)
    seismo.kill9()

    seg_a = os.path.join(data, "segments", segments[0], "cg-00000.parquet")
    seg_c = os.path.join(data, "segments", segments[2], "cg-00000.parquet")
    with open(seg_a, "r+b") as f:
        f.truncate(os.path.getsize(seg_a) // 2)
    open(seg_c, "wb").close()  # zero-length
    wal = wal_files(data)[-1]
    offsets = record_offsets(wal)
    assert len(offsets) == 3, offsets
    with open(wal, "r+b") as f:  # flip one payload byte of the middle record
        f.seek(offsets[1] + 12)
        b = f.read(1)
        f.seek(offsets[1] + 12)
        f.write(bytes([b[0] ^ 0x20]))
    with open(os.path.join(data, "wal", "notes.txt"), "w") as f:
        f.write("not a wal file\n")
    with open(os.path.join(data, "stray.bin"), "wb") as f:
        f.write(os.urandom(64))

    seismo.start()  # must come up
    assert problems(seismo) == {"wal_torn_tail": 0, "wal_corrupt": 1, "catalog": 0, "segment": 2,
                                "checkpoint": 0, "unknown_file": 2}
    log = open(seismo.proc.log_path, encoding="utf-8", errors="replace").read()
    assert f"store.file={wal}" in log and f"store.offset={offsets[1]}" in log, seismo.proc.log_tail()
    assert f"store.file={seg_a}" in log and f"store.file={seg_c}" in log, seismo.proc.log_tail()

    # Remote read: segment B and the intact WAL records; the damaged record alone is lost.
    assert remote_read(seismo, pb, "it_seg", base, base + 600) == {base + 65: 1.0}
    assert remote_read(seismo, pb, "it_wal", base, base + 600) == {base + 240: 10.0, base + 242: 12.0}
    # Reads met the bad segments again: still counted once.
    assert problems(seismo)["segment"] == 2

    # Export over HTTP answers with what is readable.
    q = {"match[]": '{job="it"}', "start": base, "end": base + 300, "format": "csv"}
    r = harness.http_request("GET", seismo.url + "/api/v1/export?" + urllib.parse.urlencode(q), timeout=60)
    assert r.status == 200, f"export: {r.status} {r.text[:300]}"
    rows = [line.split(",") for line in r.text.strip().splitlines()]
    assert len(rows) > 1, r.text[:500]

    # `seismo inspect` on the live directory lists the damaged files.
    info = seismo.inspect()
    listed = " ".join(info["problems"])
    for path in (seg_a, seg_c, os.path.join(data, "stray.bin"), os.path.join(data, "wal", "notes.txt")):
        assert path in listed, f"inspect problems lack {path}: {info['problems']}"
    assert any(p.startswith(os.path.join(data, "quarantine")) for p in info["problems"]), info["problems"]

    # Offline `seismo export` of the same directory exports what is readable and names
    # the damaged segment files it skipped on stderr.
    out = os.path.join(stack.dir("export"), "t.csv")
    r = subprocess.run([seismo.binary, "export", "--data", data, "--match", '{job="it"}', "--from", str(base),
                        "--to", str(base + 300), "--format", "csv", "--output", out],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert f"skipped damaged data: {seg_a}" in r.stderr and f"skipped damaged data: {seg_c}" in r.stderr, r.stderr

    # Writes still work, and a graceful stop seals them.
    post(seismo, "it_wal", base + 250, 20.0)
    assert seismo.stop() == 0


def test_torn_wal_tail_is_cut_and_the_rest_replayed(seismo_bin, stack, pb):
    data = stack.dir("data")
    base = int(time.time()) - 120
    seismo = stack.seismo(data, *FLAGS).start()
    for k in range(3):
        post(seismo, "it_torn", base + k, float(k))
    seismo.kill9()
    wal = wal_files(data)[-1]
    last = record_offsets(wal)[-1]
    with open(wal, "r+b") as f:  # the last record cut short, as a crash mid-append leaves it
        f.truncate(data_end(wal) - 3)

    seismo.start()
    assert problems(seismo)["wal_torn_tail"] == 1
    assert f"store.offset={last}" in open(seismo.proc.log_path, encoding="utf-8", errors="replace").read()
    assert remote_read(seismo, pb, "it_torn", base - 10, base + 10) == {base: 0.0, base + 1: 1.0}
    assert os.path.getsize(wal) == last
    assert seismo.stop() == 0
