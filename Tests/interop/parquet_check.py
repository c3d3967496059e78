#!/usr/bin/env python3
"""Checks Seismo-written Parquet files with pyarrow, DuckDB and polars.

Usage:
  parquet_check.py DIR                      # DIR/expectations.json and the files it lists
  parquet_check.py EXPECTATIONS.json [FILE.parquet ...]   # only the given files

expectations.json (written by InteropTests.swift):
  {"files": [{"file": NAME, "rows": N, "first_ts_ms": T0, "last_ts_ms": T1,
              "key_value": {K: V}, "columns": [{"name": C, "non_null": K,
              "checks": [[ROW, BITS-or-null], ...]}], ...}]}

Every reader must open the file, see `timestamp` as a UTC millisecond
timestamp, the row count, each column's non-null count (NaN counts as a
value, as in every Arrow-based reader), and the checked cells. The stale
marker NaN payload (0x7ff0000000000002) must survive bit for bit in pyarrow;
DuckDB and polars go through Python floats / their own kernels, so for them
NaN cells only have to be NaN. Exits 1 listing every mismatch.
"""
import json
import math
import os
import struct
import sys

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

STALE = 0x7FF0000000000002


def is_nan_bits(b):
    return (b & 0x7FF0000000000000) == 0x7FF0000000000000 and (b & 0x000FFFFFFFFFFFFF) != 0


def float_bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def arrow_bits(arr, row):
    """Bit pattern of a float64 cell straight from the Arrow data buffer: the
    same as `.to_numpy().view('uint64')` (numpy is not in the venv), with no
    float conversion that could touch a NaN payload. None for null."""
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    for chunk in chunks:
        if row < len(chunk):
            if not chunk.is_valid()[row].as_py():
                return None
            data = chunk.buffers()[1]
            return struct.unpack_from("<Q", data, (chunk.offset + row) * 8)[0]
        row -= len(chunk)
    raise IndexError(row)


def as_float64(arr):
    """An INT64 series column (a whole-number series) as the doubles it stands for;
    below 2^53 the conversion is exact."""
    return arr.cast(pa.float64()) if arr.type == pa.int64() else arr


class Checker:
    def __init__(self):
        self.failures = []
        self.notes = set()
        self.passed = {"pyarrow": 0, "duckdb": 0, "polars": 0}

    def fail(self, reader, file, message):
        self.failures.append(f"[{reader}] {file}: {message}")

    def run(self, reader, file, fn, count=True):
        before = len(self.failures)
        try:
            fn()
        except Exception as e:  # a reader refusing the file is a finding, not a crash
            self.fail(reader, file, f"raised {type(e).__name__}: {e}")
        if len(self.failures) == before and count:
            self.passed[reader] += 1

    def cell(self, reader, file, col, row, got, want, exact_nan):
        if want is None or got is None:
            if want != got:
                self.fail(reader, file, f"{col!r} row {row}: got {got!r}, want {want!r}")
            return
        if is_nan_bits(want) and not exact_nan:
            if not is_nan_bits(got):
                self.fail(reader, file, f"{col!r} row {row}: got bits {got:#018x}, want a NaN")
            elif got != want:
                self.notes.add(f"{reader} canonicalized NaN payload {want:#018x} to {got:#018x} (allowed)")
        elif got != want:
            self.fail(reader, file, f"{col!r} row {row}: got bits {got:#018x}, want {want:#018x}")

    def types(self, reader, name, spec, got):
        """Each column's type as the reader reports it must match the writer's choice:
        INT64 for whole-number series, DOUBLE otherwise."""
        for col in spec["columns"]:
            want = col.get("type", "double")
            if got[col["name"]] != want:
                self.fail(reader, name, f"{col['name']!r}: type {got[col['name']]}, want {want}")

    def pyarrow(self, path, spec):
        name = spec["file"]
        table = pq.read_table(path)
        if table.num_rows != spec["rows"]:
            self.fail("pyarrow", name, f"{table.num_rows} rows, want {spec['rows']}")
        ts_type = table.schema.field("timestamp").type
        if ts_type != pa.timestamp("ms", tz="UTC"):
            self.fail("pyarrow", name, f"timestamp type {ts_type}, want timestamp[ms, tz=UTC]")
        ts = table.column("timestamp")
        first, last = ts[0].value, ts[len(ts) - 1].value
        if (first, last) != (spec["first_ts_ms"], spec["last_ts_ms"]):
            self.fail("pyarrow", name, f"timestamps {first}..{last}, want {spec['first_ts_ms']}..{spec['last_ts_ms']}")
        want_names = ["timestamp"] + [c["name"] for c in spec["columns"]]
        if table.column_names != want_names:
            self.fail("pyarrow", name, "column names differ")
        meta = pq.ParquetFile(path).metadata
        kv = {k.decode(): v.decode() for k, v in (meta.metadata or {}).items()}
        for k, v in spec.get("key_value", {}).items():
            if kv.get(k) != v:
                self.fail("pyarrow", name, f"key_value_metadata[{k!r}] = {kv.get(k)!r}, want {v!r}")
        rg = meta.row_group(0)
        kind = {pa.int64(): "int64", pa.float64(): "double"}
        self.types("pyarrow", name, spec, {f.name: kind.get(f.type, str(f.type)) for f in table.schema})
        for i, col in enumerate(spec["columns"]):
            arr = as_float64(table.column(col["name"]))
            non_null = len(arr) - arr.null_count
            if non_null != col["non_null"]:
                self.fail("pyarrow", name, f"{col['name']!r}: {non_null} non-null, want {col['non_null']}")
            stats = rg.column(i + 1).statistics
            if stats is None or stats.null_count != spec["rows"] - col["non_null"]:
                self.fail("pyarrow", name, f"{col['name']!r}: statistics null_count {stats and stats.null_count}")
            for row, want in col["checks"]:
                self.cell("pyarrow", name, col["name"], row, arrow_bits(arr, row), want, exact_nan=True)
        # The stale marker must never be canonicalized to the default NaN.
        for col in spec["columns"]:
            for row, want in col["checks"]:
                if want == STALE and arrow_bits(as_float64(table.column(col["name"])), row) != STALE:
                    self.fail("pyarrow", name, f"{col['name']!r} row {row}: stale marker payload lost")

    def duckdb(self, path, spec):
        name = spec["file"]
        con = duckdb.connect()
        src = "read_parquet('" + path.replace("'", "''") + "')"
        types = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()}
        if types.get("timestamp") != "TIMESTAMP WITH TIME ZONE":
            self.fail("duckdb", name, f"timestamp type {types.get('timestamp')!r}, want TIMESTAMP WITH TIME ZONE")
        kind = {"BIGINT": "int64", "DOUBLE": "double"}
        self.types("duckdb", name, spec, {k: kind.get(v, v) for k, v in types.items()})
        cols = spec["columns"]
        quoted = ['"' + c["name"].replace('"', '""') + '"' for c in cols]
        # epoch_ms keeps the check independent of the session time zone.
        aggs = ["count(*)", "min(epoch_ms(timestamp))", "max(epoch_ms(timestamp))"] + [f"count({q})" for q in quoted]
        counts = []
        for start in range(0, len(aggs), 500):  # keep each SELECT list moderate
            counts += con.execute(f"SELECT {', '.join(aggs[start:start + 500])} FROM {src}").fetchone()
        rows, first, last = counts[:3]
        if rows != spec["rows"]:
            self.fail("duckdb", name, f"{rows} rows, want {spec['rows']}")
        if (first, last) != (spec["first_ts_ms"], spec["last_ts_ms"]):
            self.fail("duckdb", name, f"timestamps {first}..{last}")
        for col, got in zip(cols, counts[3:]):
            if got != col["non_null"]:
                self.fail("duckdb", name, f"{col['name']!r}: {got} non-null, want {col['non_null']}")
        check_rows = sorted({row for c in cols for row, _ in c["checks"]})
        if not check_rows:
            return
        # Rows by position: row_number() over the file order.
        sel = ", ".join(f"CAST({q} AS DOUBLE)" for q in quoted)
        got_rows = con.execute(
            f"SELECT * FROM (SELECT row_number() OVER () - 1 AS rn, {sel} FROM {src}) "
            f"WHERE rn IN ({', '.join(map(str, check_rows))}) ORDER BY rn").fetchall()
        by_row = {r[0]: r[1:] for r in got_rows}
        for ci, col in enumerate(cols):
            for row, want in col["checks"]:
                v = by_row.get(row, [None] * len(cols))[ci]
                self.cell("duckdb", name, col["name"], row, None if v is None else float_bits(v), want, exact_nan=False)

    def union(self, base, spec):
        """One series stored as INT64 in one segment and DOUBLE in another: the usual way
        to read several files in each reader must give one DOUBLE column, exact."""
        paths = [os.path.join(base, f) for f in spec["files"]]
        col, want = spec["column"], spec["cells"]
        label = "+".join(spec["files"])

        def compare(reader, got):
            if len(got) != len(want):
                self.fail(reader, label, f"{len(got)} rows, want {len(want)}")
            for row, (g, w) in enumerate(zip(got, want)):
                self.cell(reader, label, col, row, g, w, exact_nan=True)

        def with_pyarrow():
            import pyarrow.dataset as ds
            schema = pa.unify_schemas([pq.read_schema(p) for p in paths], promote_options="permissive")
            if schema.field(col).type != pa.float64():
                self.fail("pyarrow", label, f"unified type {schema.field(col).type}")
            table = ds.dataset(paths, schema=schema).to_table()
            compare("pyarrow", [arrow_bits(table.column(col), r) for r in range(table.num_rows)])

        def with_duckdb():
            files = ", ".join("'" + p.replace("'", "''") + "'" for p in paths)
            rows = duckdb.connect().execute(
                f"SELECT {col} FROM read_parquet([{files}], union_by_name=true, filename=true, file_row_number=true) "
                f"ORDER BY filename, file_row_number").fetchall()
            compare("duckdb", [None if v is None else float_bits(v) for (v,) in rows])

        def with_polars():
            df = pl.concat([pl.read_parquet(p) for p in paths], how="diagonal_relaxed")
            if df.schema[col] != pl.Float64:
                self.fail("polars", label, f"unified dtype {df.schema[col]}")
            arr = df[col].to_arrow()
            compare("polars", [arrow_bits(arr, r) for r in range(len(arr))])

        for reader, fn in (("pyarrow", with_pyarrow), ("duckdb", with_duckdb), ("polars", with_polars)):
            self.run(reader, label, fn, count=False)

    def polars(self, path, spec):
        name = spec["file"]
        df = pl.read_parquet(path)
        if df.height != spec["rows"]:
            self.fail("polars", name, f"{df.height} rows, want {spec['rows']}")
        dtype = df.schema["timestamp"]
        if dtype != pl.Datetime("ms", "UTC"):
            self.fail("polars", name, f"timestamp dtype {dtype}, want Datetime(ms, UTC)")
        ts = df["timestamp"].dt.epoch("ms")
        if (ts[0], ts[-1]) != (spec["first_ts_ms"], spec["last_ts_ms"]):
            self.fail("polars", name, f"timestamps {ts[0]}..{ts[-1]}")
        kind = {pl.Int64: "int64", pl.Float64: "double"}
        self.types("polars", name, spec, {k: kind.get(v, str(v)) for k, v in df.schema.items()})
        for col in spec["columns"]:
            s = df[col["name"]]
            non_null = s.len() - s.null_count()
            if non_null != col["non_null"]:
                self.fail("polars", name, f"{col['name']!r}: {non_null} non-null, want {col['non_null']}")
            arr = s.cast(pl.Float64).to_arrow()
            for row, want in col["checks"]:
                self.cell("polars", name, col["name"], row, arrow_bits(arr, row), want, exact_nan=False)


def main(argv):
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    if os.path.isdir(argv[0]):
        base, expectations, only = argv[0], os.path.join(argv[0], "expectations.json"), None
    else:
        expectations = argv[0]
        base = os.path.dirname(os.path.abspath(expectations))
        only = {os.path.basename(p) for p in argv[1:]} or None
    with open(expectations) as f:
        loaded = json.load(f)
    specs, unions = loaded["files"], loaded.get("unions", [])
    if only is not None:
        specs = [s for s in specs if s["file"] in only]
        missing = only - {s["file"] for s in specs}
        if missing:
            print(f"no expectations for {sorted(missing)}", file=sys.stderr)
            return 1
    if not specs:
        print("no files to check", file=sys.stderr)
        return 1
    checker = Checker()
    for spec in specs:
        path = os.path.join(base, spec["file"])
        for reader in ("pyarrow", "duckdb", "polars"):
            checker.run(reader, spec["file"], lambda r=reader: getattr(checker, r)(path, spec))
        size = spec.get("bytes")
        if size:
            print(f"{spec['file']}: {spec['rows']} rows x {len(spec['columns'])} columns, {size} bytes, "
                  f"footer {spec.get('footer_bytes')} B, {spec.get('bytes_per_sample', 0):.3f} B/sample, "
                  f"written in {spec.get('write_seconds', 0):.2f} s")
    for u in unions:
        if only is None or set(u["files"]) <= only:
            checker.union(base, u)
            print(f"union {'+'.join(u['files'])}: column {u['column']!r} read as one DOUBLE column")
    for note in sorted(checker.notes):
        print("note: " + note)
    versions = f"pyarrow {pa.__version__}, duckdb {duckdb.__version__}, polars {pl.__version__}"
    for reader, n in checker.passed.items():
        print(f"{reader}: {n}/{len(specs)} files passed")
    if checker.failures:
        print(f"FAILED ({versions}):", file=sys.stderr)
        for f in checker.failures:
            print("  " + f, file=sys.stderr)
        return 1
    print(f"OK: all {len(specs)} files pass in {versions}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
