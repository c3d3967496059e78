"""Process and wire helpers for Seismo's integration tests.

Everything binds to 127.0.0.1 on ports picked at run time, writes into fresh
temporary directories, logs to files, and is stopped by PID. Every wait is bounded.
"""

from __future__ import annotations

import glob
import http.client
import importlib
import json
import math
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
STALE_NAN_BITS = 0x7FF0000000000002
NORMAL_NAN_BITS = 0x7FF8000000000001  # what Prometheus stores for a scraped NaN

RW_HEADERS = {
    "Content-Type": "application/x-protobuf",
    "Content-Encoding": "snappy",
    "X-Prometheus-Remote-Write-Version": "0.1.0",
    "User-Agent": "seismo-integration-tests/1",
}


# ----------------------------------------------------------------------------- basics

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seismo_binary() -> str:
    env = os.environ.get("SEISMO_BIN")
    if env:
        return env
    for p in (".build/debug/seismo", ".build/release/seismo"):
        full = os.path.join(REPO, p)
        if os.path.exists(full):
            return full
    return os.path.join(REPO, ".build/debug/seismo")


def fixtures_dir() -> str:
    """Captured Prometheus 2.42 bodies: the repo copy first, then shared/."""
    candidates = [
        os.path.join(REPO, "Tests", "Fixtures", "remote-write"),
        os.path.join(REPO, "..", "shared", "fixtures", "remote-write"),
        "/work/shared/fixtures/remote-write",
    ]
    for c in candidates:
        if glob.glob(os.path.join(c, "prom242_*.bin")):
            return os.path.abspath(c)
    raise FileNotFoundError("no prom242_*.bin fixtures in " + ", ".join(candidates))


def wait_until(pred, timeout: float, interval: float = 0.2, what: str = "condition"):
    """Polls pred() until it returns a truthy value; raises TimeoutError after timeout."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            v = pred()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - retried until the deadline
            last_exc = e
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}" + (f" (last error: {last_exc!r})" if last_exc else ""))


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def http_request(method: str, url: str, body: bytes | None = None, headers: dict | None = None,
                 timeout: float = 30.0) -> Response:
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        path = u.path + ("?" + u.query if u.query else "")
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    finally:
        conn.close()


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        return http_request("GET", url, timeout=timeout).status == 200
    except OSError:
        return False


def parse_prom_text(text: str) -> dict[str, float]:
    """Prometheus text format → {'name{labels}': value} (labels as written)."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        # the value is the last (or second to last, with a timestamp) field after the selector
        if "}" in line:
            sel, rest = line.rsplit("}", 1)
            sel += "}"
        else:
            sel, _, rest = line.partition(" ")
        parts = rest.split()
        if not parts:
            continue
        try:
            out[sel.strip()] = float(parts[0])
        except ValueError:
            pass
    return out


def metric_sum(metrics: dict[str, float], name: str, **labels) -> float:
    """Sum of all samples of `name` whose label text contains every k="v" given."""
    total = 0.0
    for sel, v in metrics.items():
        base = sel.split("{", 1)[0]
        if base != name:
            continue
        if all(f'{k}="{val}"' in sel for k, val in labels.items()):
            total += v
    return total


# ----------------------------------------------------------------------------- processes

class Proc:
    """A child process in its own session, logging to a file, stopped by PID."""

    def __init__(self, name: str, argv: list[str], log_dir: str, env: dict | None = None, cwd: str | None = None):
        self.name = name
        self.argv = argv
        self.log_path = os.path.join(log_dir, f"{name}.log")
        self._log = open(self.log_path, "ab")
        self._log.write(f"\n=== start {time.strftime('%H:%M:%S')}: {' '.join(argv)}\n".encode())
        self._log.flush()
        self.popen = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      env=env, cwd=cwd, start_new_session=True)
        self.pid = self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal(self, sig: int):
        if self.alive():
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def wait(self, timeout: float) -> int | None:
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill9(self) -> int | None:
        self.signal(signal.SIGKILL)
        return self.wait(10)

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM, wait up to timeout, then SIGKILL. Returns the exit code of the TERM
        stop, or None if it had to be killed."""
        if not self.alive():
            rc = self.popen.returncode
            self.close_log()
            return rc
        self.signal(signal.SIGTERM)
        rc = self.wait(timeout)
        if rc is None:
            self.kill9()
        self.close_log()
        return rc

    def close_log(self):
        if not self._log.closed:
            self._log.close()

    def log_tail(self, n: int = 40) -> str:
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return ""


class Seismo:
    """One seismo server on a free port over a data dir; restartable on the same dir."""

    def __init__(self, data_dir: str, log_dir: str, *extra: str, binary: str | None = None):
        self.data_dir = data_dir
        self.log_dir = log_dir
        self.extra = list(extra)
        # Inline detection is on by default and stores `seismo:score` series beside the
        # data; tests that compare stored cells with what they sent run without it, and
        # tests that want it say so (--rules, --alertmanager.url or a --config file).
        if not any(a in self.extra for a in ("--rules", "--alertmanager.url", "--config")):
            self.extra.append("--no-detection")
        self.binary = binary or seismo_binary()
        self.port = free_port()
        self.proc: Proc | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def write_url(self) -> str:
        return self.url + "/api/v1/write"

    def start(self, ready_timeout: float = 60.0):
        argv = [self.binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--data", self.data_dir, *self.extra]
        self.starts += 1
        self.proc = Proc("seismo", argv, self.log_dir)
        try:
            wait_until(lambda: self._ready_or_dead(), ready_timeout, what=f"seismo /-/ready on {self.url}")
        except TimeoutError:
            raise TimeoutError(f"seismo not ready after {ready_timeout}s; log tail:\n{self.proc.log_tail()}")
        return self

    def _ready_or_dead(self):
        if not self.proc.alive():
            raise RuntimeError(f"seismo exited with {self.proc.popen.returncode}; log tail:\n{self.proc.log_tail()}")
        return http_ok(self.url + "/-/ready")

    def post(self, body: bytes, headers: dict | None = None, timeout: float = 30.0) -> Response:
        return http_request("POST", self.write_url, body, RW_HEADERS if headers is None else headers, timeout)

    def metrics(self) -> dict[str, float]:
        r = http_request("GET", self.url + "/metrics", timeout=10)
        assert r.status == 200, f"/metrics answered {r.status}"
        return parse_prom_text(r.text)

    def kill9(self):
        if self.proc:
            self.proc.kill9()

    def stop(self, timeout: float = 60.0) -> int | None:
        return self.proc.stop(timeout) if self.proc else None

    def inspect(self, timeout: float = 120.0) -> dict:
        r = subprocess.run([self.binary, "inspect", "--data", self.data_dir], capture_output=True, timeout=timeout)
        assert r.returncode == 0, f"seismo inspect exit {r.returncode}: {r.stderr.decode(errors='replace')[-2000:]}"
        return json.loads(r.stdout)


class Stack:
    """The temp dirs and child processes of one test or script run, stopped by PID.

    Shared by the pytest fixture (conftest.py) and the kill loop, which also runs as a
    script (scripts/kill-loop)."""

    def __init__(self, name: str):
        self.root = mkdtemp(name)
        self.logs = os.path.join(self.root, "logs")
        os.makedirs(self.logs)
        self.procs: list[Proc] = []
        self.seismos: list[Seismo] = []

    def dir(self, name: str) -> str:
        p = os.path.join(self.root, name)
        os.makedirs(p, exist_ok=True)
        return p

    def proc(self, name, argv, **kw) -> Proc:
        p = Proc(name, argv, self.logs, **kw)
        self.procs.append(p)
        return p

    def seismo(self, data_dir: str, *extra: str) -> Seismo:
        s = Seismo(data_dir, self.logs, *extra)
        self.seismos.append(s)
        return s

    def teardown(self, remove: bool = False):
        """Stops every server (seismo first, then the rest in reverse start order); with
        `remove`, deletes the run's directory too."""
        for s in self.seismos:
            if s.proc:
                s.proc.stop(timeout=30)
        for p in reversed(self.procs):
            p.stop(timeout=15)
        if remove:
            import shutil
            shutil.rmtree(self.root, ignore_errors=True)


def mkdtemp(prefix: str) -> str:
    return tempfile.mkdtemp(prefix=f"seismo-it-{prefix}-")


# ----------------------------------------------------------------------------- protobuf (decode)

_PB = None


def pb_modules(build_dir: str):
    """Compiles proto/types.proto and proto/remote.proto with protoc --python_out and imports them."""
    global _PB
    if _PB is not None:
        return _PB
    proto = os.path.join(REPO, "proto")
    subprocess.run(["protoc", f"--proto_path={proto}", f"--python_out={build_dir}",
                    os.path.join(proto, "types.proto"), os.path.join(proto, "remote.proto")],
                   check=True, timeout=60)
    sys.path.insert(0, build_dir)
    types_pb2 = importlib.import_module("types_pb2")
    remote_pb2 = importlib.import_module("remote_pb2")
    _PB = (types_pb2, remote_pb2)
    return _PB


def f64_bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def bits_f64(b: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", b))[0]


def fmt_bits(b: int | None) -> str:
    if b is None:
        return "null"
    if b == STALE_NAN_BITS:
        return "stale"
    return f"{bits_f64(b)!r}(0x{b:016x})"


# ----------------------------------------------------------------------------- protobuf (encode)
# A small hand encoder, so tests can send exactly the bytes they mean (unsorted labels,
# NaN payloads) without depending on a protobuf library's normalisation.

def _varint(n: int) -> bytes:
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _ld(field_no: int, payload: bytes) -> bytes:
    return _varint(field_no << 3 | 2) + _varint(len(payload)) + payload


def encode_write_request(series: list[tuple[list[tuple[str, str]], list[tuple[int, int]]]]) -> bytes:
    """series: [(labels [(name, value)] in the order to send, samples [(ts_ms, value_bits)])]."""
    out = bytearray()
    for labels, samples in series:
        ts = bytearray()
        for name, value in labels:
            lab = b""
            if name:
                lab += _ld(1, name.encode())
            if value:
                lab += _ld(2, value.encode())
            ts += _ld(1, lab)
        for t_ms, bits in samples:
            s = bytes([0x09]) + struct.pack("<Q", bits) + _varint(2 << 3 | 0) + _varint(t_ms)
            ts += _ld(2, s)
        out += _ld(1, bytes(ts))
    return bytes(out)


def snappy_compress(raw: bytes) -> bytes:
    import snappy
    return snappy.compress(raw)


def snappy_uncompress(body: bytes) -> bytes:
    import snappy
    return snappy.uncompress(body)


# ----------------------------------------------------------------------------- expected model

def label_key(labels) -> tuple:
    return tuple(sorted((n, v) for n, v in labels))


def canonical_selector(labels) -> str:
    name = ""
    rest = []
    for n, v in sorted(labels):
        if n == "__name__":
            name = v
        else:
            esc = v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            rest.append(f'{n}="{esc}"')
    if not rest:
        return name if name else "{}"
    return name + "{" + ",".join(rest) + "}"


def _docs_labels_of_column():
    """labels_of_column, the inverse of canonical_selector, taken from the Python block in
    docs/storage-format.md §5.2: format-2 segments keep only series ids in seismo.series,
    so users read label sets from column names with that code, and the integration suite
    runs the very same code on every segment it checks."""
    doc = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "storage-format.md")
    with open(doc, encoding="utf-8") as f:
        text = f.read()
    start = text.index("def labels_of_column(name):")
    code = text[start:text.index("```", start)]
    scope: dict = {}
    exec(compile(code, doc, "exec"), scope)
    return scope["labels_of_column"]


labels_of_column = _docs_labels_of_column()


@dataclass
class Expected:
    """What the store must hold: series key → {second: (ts_ms, value_bits)}, later ts wins."""
    cells: dict = field(default_factory=dict)

    def add(self, labels, t_ms: int, bits: int):
        per = self.cells.setdefault(label_key(labels), {})
        sec = t_ms // 1000
        cur = per.get(sec)
        if cur is None or t_ms >= cur[0]:
            per[sec] = (t_ms, bits)

    def add_request(self, series):
        for labels, samples in series:
            for t_ms, bits in samples:
                self.add(labels, t_ms, bits)

    def count(self) -> int:
        return sum(len(v) for v in self.cells.values())


# ----------------------------------------------------------------------------- reading the store

def segment_files(data_dir: str) -> list[str]:
    return sorted(glob.glob(os.path.join(data_dir, "segments", "*", "*.parquet")))


def read_store(data_dir: str):
    """Reads every sealed segment with pyarrow.

    Returns (cells, columns, problems): cells = {series key: {second: value_bits}},
    columns = {series key: column name}, problems = list of layout problems found.
    """
    import pyarrow.parquet as pq

    cells: dict = {}
    columns: dict = {}
    problems: list[str] = []
    seg_series: dict[str, dict] = {}
    for path in segment_files(data_dir):
        seg = os.path.basename(os.path.dirname(path))
        pf = pq.ParquetFile(path)
        kv = pf.metadata.metadata or {}
        raw_meta = kv.get(b"seismo.series")
        if raw_meta is None:
            problems.append(f"{path}: no seismo.series key-value metadata")
            continue
        meta = json.loads(raw_meta)
        table = pf.read()
        if "timestamp" not in table.column_names:
            problems.append(f"{path}: no timestamp column")
            continue
        ts = table.column("timestamp").cast("int64").to_pylist()
        secs = [t // 1000 for t in ts]
        if any(t % 1000 != 0 for t in ts):
            problems.append(f"{path}: timestamps not whole seconds")
        if len(set(secs)) != len(secs):
            problems.append(f"{path}: duplicate rows for one second")
        segment_meta = json.loads(kv.get(b"seismo.segment", b"{}"))
        series_columns = table.column_names[1:]
        if segment_meta.get("format", 1) >= 2:
            # Format 2: series ids in column order; the labels are in the column names.
            if len(meta) != len(series_columns) or not all(isinstance(x, int) for x in meta):
                problems.append(f"{path}: seismo.series {meta[:5]!r}... is not one id per column")
            name_to_labels = {c: labels_of_column(c) for c in series_columns}
        else:
            name_to_labels = {entry["column"]: entry["labels"] for entry in meta}
        seen = seg_series.setdefault(seg, {})
        for col in table.column_names:
            if col == "timestamp":
                continue
            labels = name_to_labels.get(col)
            if labels is None:
                problems.append(f"{path}: column {col!r} missing from seismo.series")
                continue
            key = label_key(labels.items())
            want_name = canonical_selector(labels.items())
            if col != want_name:
                problems.append(f"{path}: column {col!r} should be named {want_name!r}")
            if key in seen:
                problems.append(f"{seg}: series {col!r} in more than one file ({seen[key]}, {os.path.basename(path)})")
            seen[key] = os.path.basename(path)
            columns[key] = col
            arr = series_array(table.column(col))
            if str(arr.type) != "double":
                problems.append(f"{path}: column {col!r} has type {arr.type}, want double (or int64)")
                continue
            valid = arr.is_valid().to_pylist()
            bits = float64_bits_of(arr)
            per = cells.setdefault(key, {})
            for s, ok, b in zip(secs, valid, bits):
                if not ok:
                    continue
                if s in per:
                    problems.append(f"{col}: second {s} stored in two segments")
                per[s] = b
    return cells, columns, problems


def series_array(col):
    """A segment's series column as a double array. Whole-number series are stored as
    INT64 (docs/storage-format.md §5.1); as doubles they are the values Prometheus sent."""
    import pyarrow as pa
    arr = col.combine_chunks() if hasattr(col, "combine_chunks") else col
    if arr.type == pa.int64():
        if any(v is not None and abs(v) > 2**53 for v in arr.to_pylist()):
            raise AssertionError("INT64 series column holds a value beyond 2^53")
        return arr.cast(pa.float64())
    return arr


def float64_bits_of(arr) -> list[int]:
    """The raw 64-bit patterns of a pyarrow double array (NaN payloads kept; no numpy needed)."""
    buf = arr.buffers()[1]
    mv = memoryview(buf).cast("B")[arr.offset * 8:(arr.offset + len(arr)) * 8]
    return list(struct.unpack(f"<{len(arr)}Q", mv)) if len(arr) else []


def compare_cells(expected: Expected, cells: dict, limit: int = 30) -> list[str]:
    """Bit-exact comparison of the whole store against the expected model."""
    diffs = []
    for key, per in expected.cells.items():
        got = cells.get(key)
        if got is None:
            diffs.append(f"missing series {canonical_selector(key)} ({len(per)} cells)")
            continue
        for sec, (_, bits) in sorted(per.items()):
            g = got.get(sec)
            if g != bits:
                diffs.append(f"{canonical_selector(key)} @ {sec}: expected {fmt_bits(bits)}, got {fmt_bits(g)}")
        for sec in sorted(set(got) - set(per)):
            diffs.append(f"{canonical_selector(key)} @ {sec}: unexpected cell {fmt_bits(got[sec])}")
    for key in set(cells) - set(expected.cells):
        diffs.append(f"unexpected series {canonical_selector(key)} ({len(cells[key])} cells)")
    if len(diffs) > limit:
        diffs = diffs[:limit] + [f"... and {len(diffs) - limit} more"]
    return diffs


def is_nan_bits(b: int) -> bool:
    return math.isnan(bits_f64(b))


# ----------------------------------------------------------------------------- Prometheus side

PROMETHEUS_YML = """\
global: {{scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}}
scrape_configs:
  - job_name: prometheus
    static_configs: [{{targets: ['127.0.0.1:{prom_port}']}}]
  - job_name: node
    static_configs: [{{targets: ['127.0.0.1:{ne_port}']}}]
{remote_write}"""

REMOTE_WRITE_YML = """\
remote_write:
  - url: {url}
    name: seismo
    queue_config:
      max_samples_per_send: 2000
      batch_send_deadline: 5s
      retry_on_http_429: true
      max_backoff: 5s
    metadata_config: {{send: true, send_interval: 1m}}
"""


def start_node_exporter(stack, port: int):
    p = stack.proc("node_exporter", ["prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{port}"])
    wait_until(lambda: p.alive() and http_ok(f"http://127.0.0.1:{port}/metrics"), 30, what="node_exporter")
    return p


def start_prometheus(stack, port: int, ne_port: int, remote_write_url: str | None):
    d = stack.dir("prometheus")
    cfg = os.path.join(d, "prometheus.yml")
    rw = REMOTE_WRITE_YML.format(url=remote_write_url) if remote_write_url else ""
    with open(cfg, "w") as f:
        f.write(PROMETHEUS_YML.format(prom_port=port, ne_port=ne_port, remote_write=rw))
    p = stack.proc("prometheus", ["prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={d}/tsdb",
                                  f"--web.listen-address=127.0.0.1:{port}"])
    wait_until(lambda: p.alive() and http_ok(f"http://127.0.0.1:{port}/-/ready"), 60, what="prometheus ready")
    return p


def prom_query(port: int, query: str, t: float, timeout: float = 120.0):
    q = urllib.parse.urlencode({"query": query, "time": f"{t:.3f}"})
    r = http_request("GET", f"http://127.0.0.1:{port}/api/v1/query?{q}", timeout=timeout)
    doc = json.loads(r.body)
    assert r.status == 200 and doc.get("status") == "success", f"query {query!r}: {r.status} {r.text[:500]}"
    return doc["data"]


def prom_raw_samples(port: int, t_end: float, seconds: int) -> dict:
    """All raw samples Prometheus stored locally in (t_end - seconds, t_end]:
    {series key: [(ts_ms, value_float)]}. Stale markers are hidden by this API."""
    data = prom_query(port, '{__name__=~".+"}[%ds]' % seconds, t_end)
    assert data["resultType"] == "matrix"
    out = {}
    for series in data["result"]:
        key = label_key(series["metric"].items())
        out[key] = [(int(round(float(ts) * 1000)), float(v)) for ts, v in series["values"]]
    return out


def prom_remote_read(port: int, pb, start_ms: int, end_ms: int) -> dict:
    """Raw samples incl. stale markers through Prometheus's remote-read endpoint:
    {series key: [(ts_ms, value_bits)]}."""
    types_pb2, remote_pb2 = pb
    req = remote_pb2.ReadRequest()
    q = req.queries.add()
    q.start_timestamp_ms = start_ms
    q.end_timestamp_ms = end_ms
    m = q.matchers.add()
    m.type = types_pb2.LabelMatcher.RE
    m.name = "__name__"
    m.value = ".+"
    body = snappy_compress(req.SerializeToString())
    r = http_request("POST", f"http://127.0.0.1:{port}/api/v1/read", body,
                     {"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
                      "X-Prometheus-Remote-Read-Version": "0.1.0"}, timeout=120)
    assert r.status == 200, f"remote read: {r.status} {r.text[:300]}"
    resp = remote_pb2.ReadResponse()
    resp.ParseFromString(snappy_uncompress(r.body))
    out = {}
    for res in resp.results:
        for ts in res.timeseries:
            key = label_key((l.name, l.value) for l in ts.labels)
            out[key] = [(s.timestamp, f64_bits(s.value)) for s in ts.samples]
    return out


def prom_self_metrics(port: int) -> dict[str, float]:
    r = http_request("GET", f"http://127.0.0.1:{port}/metrics", timeout=10)
    return parse_prom_text(r.text)


# ----------------------------------------------------------------------------- third-party readers

def _series_columns(files) -> list[str]:
    import pyarrow.parquet as pq
    cols = []
    seen = set()
    for p in files:
        for name in pq.read_schema(p).names:
            if name != "timestamp" and name not in seen:
                seen.add(name)
                cols.append(name)
    return cols


def nonnull_pyarrow(data_dir: str) -> int:
    import pyarrow.dataset as ds
    files = segment_files(data_dir)
    cols = _series_columns(files)
    import pyarrow as pa
    # permissive: a series may be INT64 in one segment and DOUBLE in another (§5.1)
    schema = pa.unify_schemas([ds.dataset(p, format="parquet").schema for p in files], promote_options="permissive")
    table = ds.dataset(files, format="parquet", schema=schema).to_table()
    return sum(len(table.column(c)) - table.column(c).null_count for c in cols)


def nonnull_duckdb(data_dir: str) -> int:
    import duckdb
    files = segment_files(data_dir)
    cols = _series_columns(files)
    glob_ = os.path.join(data_dir, "segments", "*", "*.parquet").replace("'", "''")
    con = duckdb.connect()
    try:
        total = 0
        for i in range(0, len(cols), 500):  # keep each statement a sane size
            exprs = ", ".join('count("%s")' % c.replace('"', '""') for c in cols[i:i + 500])
            row = con.execute(f"SELECT {exprs} FROM read_parquet('{glob_}', union_by_name=true)").fetchone()
            total += sum(row)
        return total
    finally:
        con.close()


def nonnull_polars(data_dir: str) -> int:
    import polars as pl
    files = segment_files(data_dir)
    cols = _series_columns(files)
    schema = {"timestamp": pl.Datetime("ms", "UTC")}
    schema.update({c: pl.Float64 for c in cols})
    df = pl.scan_parquet(os.path.join(data_dir, "segments", "*", "*.parquet"), schema=schema,
                         missing_columns="insert",
                         cast_options=pl.ScanCastOptions(integer_cast="allow-float")).collect()
    counts = df.select([pl.col(c).is_not_null().sum() for c in cols]).row(0)
    return int(sum(counts))
