"""Issue 3, the training export: `seismo export` and GET /api/v1/export read back by
pyarrow, DuckDB and polars equal the samples that were remote-written (decoded here
independently, from the bits we sent); CSV/TSV parse back to the same doubles; label files
join at row boundaries; malformed label files write nothing; the study's thesis layout;
POST /api/v1/labels is stored and joined."""

import csv
import io
import json
import math
import os
import random
import struct
import subprocess
import time
import urllib.parse

import pytest

import harness
from harness import STALE_NAN_BITS, canonical_selector, f64_bits, label_key

SPECIALS = [f64_bits(0.0), f64_bits(-0.0), f64_bits(float("inf")), f64_bits(float("-inf")), f64_bits(float("nan")),
            f64_bits(5e-324), f64_bits(1.7976931348623157e308), f64_bits(0.1), f64_bits(2089807872.0)]


def bits_of(x) -> int | None:
    return None if x is None else struct.unpack("<Q", struct.pack("<d", x))[0]


def same(a: int | None, b: int | None) -> bool:
    """Equal bits; any NaN equals any NaN (text formats cannot keep NaN payloads)."""
    if a is None or b is None:
        return a is b
    fa, fb = struct.unpack("<d", struct.pack("<Q", a))[0], struct.unpack("<d", struct.pack("<Q", b))[0]
    if math.isnan(fa) and math.isnan(fb):
        return True
    return a == b


def make_series(now: int, rng: random.Random):
    """Series that come and go (so segments' schemas differ), gaps, specials, a stale marker."""
    out = []
    for i in range(12):
        labels = [("__name__", "it_export" if i < 8 else "it_other"), ("idx", str(i)), ("job", 'we"ird,\\x')]
        lo, hi = (0, 150) if i < 6 else ((40, 150) if i < 9 else (0, 70))
        samples = []
        for k in range(lo, hi):
            if rng.random() < 0.15:
                continue
            v = rng.choice(SPECIALS) if rng.random() < 0.05 else f64_bits(rng.random() * 10 ** rng.randint(-8, 12))
            samples.append(((now + k) * 1000 + rng.randint(0, 999), v))
        if i == 3:
            samples.append(((now + 150) * 1000, STALE_NAN_BITS))
        out.append((labels, samples))
    return out


def expected_table(exp: harness.Expected):
    """(first second, last second, {column: {second: bits}}) with stale markers removed."""
    cols = {}
    secs = []
    for key, cells in exp.cells.items():
        col = {}
        for sec, (_, bits) in cells.items():
            secs.append(sec)
            if bits != STALE_NAN_BITS:
                col[sec] = bits
        cols[canonical_selector(list(key))] = col
    return min(secs), max(secs), cols


@pytest.fixture(scope="module")
def store(tmp_path_factory, seismo_bin):
    """A stopped data directory with several sealed 1-minute segments, and what was sent."""
    root = tmp_path_factory.mktemp("export")
    data = str(root / "data")
    logs = str(root / "logs")
    os.makedirs(logs)
    s = harness.Seismo(data, logs, "--segment-span", "1m").start()
    rng = random.Random(42)
    now = int(time.time()) - 300
    series = make_series(now, rng)
    exp = harness.Expected()
    exp.add_request(series)
    r = s.post(harness.snappy_compress(harness.encode_write_request(series)))
    assert r.status == 204, r.text
    # Live: the server holds the LOCK; the export replays the WAL read-only.
    live = subprocess.run([seismo_bin, "export", "--data", data, "--format", "csv", "--no-stored-labels"],
                          capture_output=True, timeout=120)
    assert live.returncode == 0, live.stderr.decode()
    assert s.stop() == 0
    segs = os.listdir(os.path.join(data, "segments"))
    assert len(segs) >= 3, segs
    return {"data": data, "exp": exp, "root": root, "live_csv": live.stdout, "now": now}


def run_export(seismo_bin, data, *args, check=True):
    r = subprocess.run([seismo_bin, "export", "--data", data, *args], capture_output=True, timeout=120)
    if check:
        assert r.returncode == 0, f"exit {r.returncode}: {r.stderr.decode(errors='replace')}"
    return r


def check_table(first, last, cols, timestamps, columns: dict, what: str):
    assert timestamps == list(range(first, last + 1)), f"{what}: rows are not one per second"
    assert set(columns) == set(cols), f"{what}: columns {sorted(set(columns) ^ set(cols))} differ"
    bad = []
    for name, values in columns.items():
        want = cols[name]
        for sec, got in zip(timestamps, values):
            if not same(want.get(sec), got):
                bad.append(f"{name} @ {sec}: want {harness.fmt_bits(want.get(sec))} got {harness.fmt_bits(got)}")
    assert not bad, f"{what}: {len(bad)} cells differ, e.g.\n" + "\n".join(bad[:10])


@pytest.mark.parametrize("window_bytes,compression", [(None, "snappy"), (8000, "none")])
def test_parquet_read_by_pyarrow_duckdb_polars(store, seismo_bin, tmp_path, window_bytes, compression):
    import duckdb
    import polars as pl
    import pyarrow.parquet as pq
    out = str(tmp_path / "t.parquet")
    extra = (["--window-bytes", str(window_bytes)] if window_bytes else []) + ["--compression", compression]
    run_export(seismo_bin, store["data"], "--output", out, "--no-stored-labels", *extra)
    first, last, cols = expected_table(store["exp"])
    if window_bytes:
        # 12 columns x 10 bytes: 8000 bytes allow 60-second windows, so several row groups.
        assert pq.ParquetFile(out).metadata.num_row_groups >= 3

    t = pq.read_table(out)
    ts = [int(x.timestamp()) for x in t.column("timestamp").to_pylist()]
    check_table(first, last, cols, ts, {n: [bits_of(v) for v in t.column(n).to_pylist()] for n in t.column_names[1:]}, "pyarrow")
    meta = json.loads(pq.read_schema(out).metadata[b"seismo.series"])
    by_col = {m["column"]: m for m in meta}
    stale_col = canonical_selector([("__name__", "it_export"), ("idx", "3"), ("job", 'we"ird,\\x')])
    assert by_col[stale_col]["stale_markers_as_null"] == 1
    assert by_col[stale_col]["labels"] == {"__name__": "it_export", "idx": "3", "job": 'we"ird,\\x'}

    con = duckdb.connect()
    rows = con.execute(f"SELECT epoch(timestamp)::BIGINT AS s, * EXCLUDE (timestamp) FROM read_parquet('{out}') ORDER BY 1").fetchall()
    names = [d[0] for d in con.description][1:]
    check_table(first, last, cols, [r[0] for r in rows], {n: [bits_of(r[i + 1]) for r in rows] for i, n in enumerate(names)}, "duckdb")

    df = pl.read_parquet(out)
    ts = [int(x.timestamp()) for x in df["timestamp"].to_list()]
    check_table(first, last, cols, ts, {n: [bits_of(v) for v in df[n].to_list()] for n in df.columns[1:]}, "polars")


def parse_delimited(text: str, delimiter: str):
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"' if delimiter == "," else None,
                           quoting=csv.QUOTE_MINIMAL if delimiter == "," else csv.QUOTE_NONE))
    header, body = rows[0], rows[1:]
    ts = [int(r[0]) for r in body]
    columns = {name: [bits_of(float(r[i + 1])) if r[i + 1] != "" else None for r in body] for i, name in enumerate(header[1:])}
    return header, ts, columns


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_text_formats_round_trip_exactly(store, seismo_bin, fmt):
    r = run_export(seismo_bin, store["data"], "--format", fmt, "--no-stored-labels")
    _, ts, columns = parse_delimited(r.stdout.decode(), "," if fmt == "csv" else "\t")
    first, last, cols = expected_table(store["exp"])
    check_table(first, last, cols, ts, columns, fmt)


def test_live_directory_export_equals_stopped(store):
    first, last, cols = expected_table(store["exp"])
    _, ts, columns = parse_delimited(store["live_csv"].decode(), ",")
    check_table(first, last, cols, ts, columns, "live csv (WAL replay)")


def test_label_files_join(store, seismo_bin, tmp_path):
    now = store["now"]
    anomalies = tmp_path / "table_anomalies.txt"
    anomalies.write_text("Timestamp_from\tTimestamp_to\tAnomaly type\tAnomaly details\n"
                         f"{now + 10}\t{now + 12}\tRequest memory until container is destroyed\tKafka runs for 7s\n"
                         f"{now + 12}\t{now + 13}\tadjacent\t\n"
                         f"{now + 20}\t{now + 25}\toverlap\ta\n{now + 22}\t{now + 30}\toverlap\tb\n"
                         f"{now - 500}\t{now - 400}\tbefore the range\t\n{now + 9000}\t{now + 9100}\tafter\t\n")
    states = tmp_path / "states.csv"
    states.write_text(f"from,to,state\n{now - 100},{now + 50},Waiting for the script to start\n"
                      f"{now + 5},{now + 15},Kafka running\n{now + 10},{now + 12},Generating anomaly\n")
    r = run_export(seismo_bin, store["data"], "--format", "csv", "--from", str(now), "--to", str(now + 60),
                   "--labels", str(anomalies), "--labels", str(states), "--match", "it_other", "--no-stored-labels")
    rows = list(csv.reader(io.StringIO(r.stdout.decode())))
    assert rows[0][:3] == ["timestamp", "anomaly", "state"]
    by = {int(x[0]) - now: (x[1], x[2]) for x in rows[1:]}
    assert len(by) == 60
    inside = {10, 11, 12} | set(range(20, 30))
    assert [k for k in range(60) if by[k][0] == "1"] == sorted(inside)
    assert by[4][1] == "Waiting for the script to start" and by[5][1] == "Kafka running"
    assert by[10][1] == by[11][1] == "Generating anomaly" and by[12][1] == "Kafka running"
    assert by[15][1] == "Waiting for the script to start" and by[50][1] == ""


@pytest.mark.parametrize("content,problem", [
    ("Timestamp_from\tTimestamp_to\tAnomaly type\tAnomaly details\n1\t2\tx\td\n5\t4\tx\td\n", ":3: end 4 is not after start 5"),
    ("Timestamp_from\tTimestamp_to\tAnomaly type\tAnomaly details\n1\t2\tx\n", ":2: 3 fields, the header has 4"),
    ("from,to,state\nyesterday,2,x\n", ":2: start: time \"yesterday\""),
    ('[{"start": 1, "end": 2, "state": "a"}, {"start": 1}]', ": element 2: missing end"),
])
def test_malformed_label_file_writes_nothing(store, seismo_bin, tmp_path, content, problem):
    bad = tmp_path / "labels.txt"
    bad.write_text(content)
    out = tmp_path / "out.parquet"
    r = run_export(seismo_bin, store["data"], "--labels", str(bad), "--output", str(out), check=False)
    err = r.stderr.decode()
    assert r.returncode != 0
    assert f"{bad}{problem}" in err, err
    assert not out.exists() and not [p for p in os.listdir(tmp_path) if p.startswith(".out")]


def test_thesis_layout(store, seismo_bin, tmp_path):
    now = store["now"]
    labels = tmp_path / "table_anomalies.txt"
    labels.write_text("Timestamp_from\tTimestamp_to\tAnomaly type\tAnomaly details\n"
                      f"{now + 3}\t{now + 5}\tRequest memory until container is destroyed\tKafka runs for 11s before anomaly starts\n")
    states = tmp_path / "s.tsv"
    states.write_text(f"from\tto\tstate\n{now}\t{now + 3}\tKafka running\n{now + 3}\t{now + 5}\tGenerating anomaly\n")
    out = tmp_path / "thesis"
    # A one-second range: every series with a sample in it is "complete".
    run_export(seismo_bin, store["data"], "--format", "tsv", "--thesis", "--output", str(out), "--labels", str(labels),
               "--labels", str(states), "--from", str(now + 4), "--to", str(now + 5), "--match", "{__name__=~\"it_.*\"}")
    lines = (out / "table_metrics.txt").read_text().splitlines()
    header = lines[0].split("\t")
    assert header[:3] == ["Time", "Anomaly", "Instance"]
    exp_first, _, cols = expected_table(store["exp"])
    present = sorted((k for k in store["exp"].cells if now + 4 in store["exp"].cells[k]),
                     key=lambda k: [(n, v) for n, v in k])
    names, counts = [], {}
    for key in sorted(store["exp"].cells, key=lambda k: list(k)):
        name = dict(key)["__name__"]
        n = counts.get(name, 0)
        counts[name] = n + 1
        if key in present:
            names.append(f"{name}_{n}")
    # Numbering counts every matching series (the study numbered instances per metric);
    # incomplete ones are dropped after numbering.
    assert header[3:] == names
    assert lines[1].split("\t")[:3] == [str(now + 4), "1", "Generating anomaly"]
    assert (out / "table_anomalies.txt").read_text() == (
        "Timestamp_from\tTimestamp_to\tAnomaly type\tAnomaly details\n"
        f"{now + 3}\t{now + 5}\tRequest memory until container is destroyed\tKafka runs for 11s before anomaly starts\n")


def test_http_export_and_labels(store, seismo_bin, stack, tmp_path):
    import pyarrow.parquet as pq
    s = stack.seismo(store["data"]).start()
    now = store["now"]
    body = json.dumps([{"start": now + 1, "end": now + 3, "anomaly_type": "cpu", "details": "live", "state": "Generating anomaly"},
                       {"start": f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(now + 3))}", "end": now + 4, "state": "Kafka running"}]).encode()
    r = harness.http_request("POST", s.url + "/api/v1/labels", body, {"Content-Type": "application/json"}, timeout=10)
    assert r.status == 200 and json.loads(r.text)["stored"] == 2, r.text
    r = harness.http_request("POST", s.url + "/api/v1/labels", b'{"start": 5, "end": 1, "state": "x"}', {}, timeout=10)
    assert r.status == 400 and r.text.startswith("body: end 1 is not after start 5"), r.text
    listed = json.loads(harness.http_request("GET", s.url + "/api/v1/labels", timeout=10).text)
    assert [x["details"] for x in listed if "details" in x] == ["live"]

    q = {"match[]": 'it_export{idx=~"1|2"}', "start": now, "end": now + 6, "format": "csv"}
    r = harness.http_request("GET", s.url + "/api/v1/export?" + urllib.parse.urlencode(q), timeout=30)
    assert r.status == 200, r.text
    cli = run_export(seismo_bin, store["data"], "--format", "csv", "--match", q["match[]"], "--from", str(now), "--to", str(now + 6))
    assert r.body == cli.stdout
    rows = list(csv.reader(io.StringIO(r.text)))
    assert [x[1] for x in rows[1:]] == ["0", "1", "1", "0", "0", "0"]
    assert [x[2] for x in rows[1:4]] == ["", "Generating anomaly", "Generating anomaly"] and rows[4][2] == "Kafka running"

    q["format"] = "parquet"
    r = harness.http_request("GET", s.url + "/api/v1/export?" + urllib.parse.urlencode(q), timeout=30)
    assert r.status == 200
    p = tmp_path / "h.parquet"
    p.write_bytes(r.body)
    t = pq.read_table(str(p))
    assert t.num_rows == 6 and t.column_names[:3] == ["timestamp", "anomaly", "state"]

    for bad, reason in [({"match[]": "it_export{"}, "match[]:"), ({"start": "soon"}, 'time "soon"'),
                        ({"format": "xlsx"}, "format must be"), ({"start": now + 5, "end": now}, "is not after start")]:
        r = harness.http_request("GET", s.url + "/api/v1/export?" + urllib.parse.urlencode(bad), timeout=30)
        assert r.status == 400 and reason in r.text.splitlines()[0], (bad, r.status, r.text)


def test_several_directories_merge_with_conflicts_counted(seismo_bin, stack):
    """Two live servers (the export replays each one's WAL) hold one series in common,
    equal in part and different in 3 seconds: the merged CSV is the union with the first
    directory winning, and stderr counts the 3 conflicting cells."""
    now = int(time.time()) - 120
    a = [("__name__", "it_merge"), ("k", "shared")]
    b = [("__name__", "it_merge"), ("k", "only0")]
    c = [("__name__", "it_merge"), ("k", "only1")]

    def value(sec, shift=0.0):
        return f64_bits(sec * 1.25 + shift)

    sent = [
        [(a, [((now + k) * 1000 + 10, value(k)) for k in range(0, 20)]),
         (b, [((now + k) * 1000, value(k, 100)) for k in range(0, 10)])],
        # Seconds 10…19 overlap the first directory; 15…17 disagree with it.
        [(a, [((now + k) * 1000 + 20, value(k, 0.5 if 15 <= k <= 17 else 0.0)) for k in range(10, 30)]),
         (c, [((now + k) * 1000, value(k, 200)) for k in range(20, 30)])],
    ]
    dirs = []
    for k, series in enumerate(sent):
        s = stack.seismo(stack.dir(f"d{k}")).start()
        r = s.post(harness.snappy_compress(harness.encode_write_request(series)))
        assert r.status == 204, r.text
        dirs.append(s.data_dir)

    r = subprocess.run([seismo_bin, "export", "--data", *dirs, "--format", "csv"], capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    rows = list(csv.reader(io.StringIO(r.stdout.decode())))
    names = [canonical_selector(x) for x in (b, c, a)]  # label order: only0 < only1 < shared
    assert rows[0] == ["timestamp", *names]
    assert [int(x[0]) for x in rows[1:]] == list(range(now, now + 30))
    want = {names[0]: {k: value(k, 100) for k in range(0, 10)},
            names[1]: {k: value(k, 200) for k in range(20, 30)},
            names[2]: {k: value(k) for k in range(0, 30)}}  # the first directory's values in 15…17
    for row in rows[1:]:
        sec = int(row[0]) - now
        for name, cell in zip(names, row[1:]):
            got = bits_of(float(cell)) if cell else None
            assert got == want[name].get(sec), (name, sec, cell)
    err = r.stderr.decode()
    assert "3 cells in 1 series held different values" in err and f"{names[2]} (3)" in err, err

    # The other order: the second directory's values win those 3 cells, still 3 conflicts.
    r = subprocess.run([seismo_bin, "export", "--data", dirs[1], "--data", dirs[0], "--format", "csv",
                        "--match", "it_merge{k='shared'}".replace("'", '"')], capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    cells = {int(x[0]) - now: bits_of(float(x[1])) for x in list(csv.reader(io.StringIO(r.stdout.decode())))[1:]}
    assert [cells[k] for k in (14, 15, 16, 17, 18)] == [value(14), value(15, 0.5), value(16, 0.5), value(17, 0.5),
                                                        value(18)]
    assert "3 cells in 1 series" in r.stderr.decode()

    # A directory given twice is a mistake, refused before any output.
    out = os.path.join(stack.root, "twice.parquet")
    r = subprocess.run([seismo_bin, "export", "--data", dirs[0], dirs[0], "--output", out], capture_output=True,
                       timeout=60)
    assert r.returncode != 0 and "given twice" in r.stderr.decode() and not os.path.exists(out), r.stderr.decode()
