"""Scale-out by hashmod: real Prometheus 2.42 scrapes node_exporter and itself every
second and writes through deploy/shards/prometheus.yml's two remote_write entries (their
write_relabel_configs used verbatim) to two Seismo instances whose data directories are
hive partitions root/shard=0 and root/shard=1. Every series must land in exactly one
shard, the union must equal Prometheus' own series set, and DuckDB must read both shards
as one dataset with a `shard` column.

The same Prometheus also writes everything to a third, unsharded Seismo: `seismo export`
over the two shard directories (merged) must give the table exporting that one directory
gives, cell for cell and bit for bit, over a range all three received completely."""

import copy
import os
import subprocess
import time

import yaml

import harness

RUN_SECONDS = 25


def shard_config(prom_port, ne_port, seismo_urls, unsharded_url):
    with open(os.path.join(harness.REPO, "deploy", "shards", "prometheus.yml")) as f:
        cfg = yaml.safe_load(f)
    rws = cfg["remote_write"]
    assert len(rws) == len(seismo_urls) == 2
    out = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [
            {"job_name": "prometheus", "static_configs": [{"targets": [f"127.0.0.1:{prom_port}"]}]},
            {"job_name": "node", "static_configs": [{"targets": [f"127.0.0.1:{ne_port}"]}]},
        ],
        "remote_write": [],
    }
    for rw, url in zip(rws, seismo_urls):
        rw = copy.deepcopy(rw)
        rw["url"] = url  # only the address changes; the relabel rules are the documented ones
        rw["queue_config"].update({"batch_send_deadline": "2s", "max_backoff": "2s"})
        out["remote_write"].append(rw)
    # Every series, no relabelling: the reference the merged shard export is checked against.
    out["remote_write"].append({"url": unsharded_url, "name": "seismo-unsharded",
                                "queue_config": copy.deepcopy(out["remote_write"][0]["queue_config"])})
    return out


def newest(seismo):
    return harness.metric_sum(seismo.metrics(), "seismo_newest_sample_seconds")


def test_two_shards_hashmod(seismo_bin, stack):
    root = stack.dir("dataset")
    shards = []
    for k in range(2):
        s = stack.seismo(os.path.join(root, f"shard={k}"), "--segment-span", "1m").start()
        shards.append(s)
    unsharded = stack.seismo(stack.dir("unsharded"), "--segment-span", "1m").start()

    ne_port, prom_port = harness.free_port(), harness.free_port()
    harness.start_node_exporter(stack, ne_port)
    d = stack.dir("prometheus")
    cfg_path = os.path.join(d, "prometheus.yml")
    with open(cfg_path, "w") as f:
        yaml.safe_dump(shard_config(prom_port, ne_port, [s.write_url for s in shards], unsharded.write_url), f)
    prom = stack.proc("prometheus", ["prometheus", f"--config.file={cfg_path}", f"--storage.tsdb.path={d}/tsdb",
                                     f"--web.listen-address=127.0.0.1:{prom_port}"])
    t_start = time.time()
    harness.wait_until(lambda: prom.alive() and harness.http_ok(f"http://127.0.0.1:{prom_port}/-/ready"), 60,
                       what="prometheus ready")
    time.sleep(RUN_SECONDS)

    # The comparison window ends at a whole second S (inclusive) a few seconds back, so
    # Prometheus' range (…, S.999] and Seismo's per-second cells (second <= S) agree.
    last_second = int(time.time()) - 3
    t_end = last_second + 0.999
    prom_keys = set(harness.prom_raw_samples(prom_port, t_end, int(t_end - t_start) + 30))
    assert len(prom_keys) > 200, f"Prometheus holds only {len(prom_keys)} series"

    # Both shards have received samples well past the window before anything stops.
    harness.wait_until(lambda: all(newest(s) >= last_second + 4 for s in shards + [unsharded]), 30,
                       what="every Seismo past the comparison window")
    for p in stack.procs:
        if p.name == "prometheus":
            assert p.stop(timeout=60) is not None
    rcs = [s.stop(timeout=60) for s in shards + [unsharded]]
    assert rcs == [0, 0, 0], rcs

    per_shard = []
    for k, s in enumerate(shards):
        files = harness.segment_files(s.data_dir)
        assert files, f"shard {k}: no sealed segments in {s.data_dir}"
        assert all(f"{os.sep}shard={k}{os.sep}segments{os.sep}" in f for f in files)
        cells, columns, problems = harness.read_store(s.data_dir)
        assert not problems, f"shard {k}: " + "; ".join(problems[:10])
        per_shard.append(cells)

    # 1. No series in both shards (over everything they stored, not only the window).
    overlap = set(per_shard[0]) & set(per_shard[1])
    assert not overlap, f"{len(overlap)} series in both shards, e.g. " + \
        ", ".join(harness.canonical_selector(k) for k in list(overlap)[:5])
    # The helper label never reaches Seismo.
    leaked = [k for cells in per_shard for k in cells if any(n == "__tmp_shard" for n, _ in k)]
    assert not leaked, f"__tmp_shard sent to Seismo: {harness.canonical_selector(leaked[0])}"

    # 2. The union over the window equals Prometheus' own series set.
    in_window = [{k for k, per in cells.items() if any(sec <= last_second for sec in per)} for cells in per_shard]
    union = in_window[0] | in_window[1]
    missing = prom_keys - union
    extra = union - prom_keys
    assert not missing and not extra, (
        f"{len(missing)} series of Prometheus in no shard (e.g. "
        + ", ".join(harness.canonical_selector(k) for k in list(missing)[:5])
        + f"); {len(extra)} series in a shard but not in Prometheus (e.g. "
        + ", ".join(harness.canonical_selector(k) for k in list(extra)[:5]) + ")")

    # 3. Both shards carry a real share.
    sizes = [len(x) for x in in_window]
    assert min(sizes) >= 0.25 * sum(sizes), f"unbalanced shards: {sizes}"

    # 4. DuckDB reads both shards as one dataset with a hive `shard` column.
    import duckdb
    pattern = os.path.join(root, "shard=*", "segments", "*", "*.parquet").replace("'", "''")
    con = duckdb.connect()
    try:
        rel = con.sql(f"SELECT * FROM read_parquet('{pattern}', hive_partitioning=true, union_by_name=true)")
        cols = set(rel.columns)
        got_shards = {str(r[0]) for r in con.sql(
            f"SELECT DISTINCT shard FROM read_parquet('{pattern}', hive_partitioning=true, union_by_name=true)").fetchall()}
        assert got_shards == {"0", "1"}, got_shards
        for k, cells in enumerate(per_shard):
            want = {harness.canonical_selector(key) for key in cells}
            assert want <= cols, f"shard {k}: {len(want - cols)} series columns missing from the DuckDB dataset"
            # A column of shard k holds values only in shard k's rows.
            probe = sorted(want)[0].replace('"', '""')
            rows = con.sql(f'SELECT DISTINCT shard FROM read_parquet(\'{pattern}\', hive_partitioning=true, '
                           f'union_by_name=true) WHERE "{probe}" IS NOT NULL').fetchall()
            assert {str(r[0]) for r in rows} == {str(k)}, (probe, rows)
    finally:
        con.close()

    # 5. Training across shards: the merged export equals the unsharded one.
    single_cells, _, problems = harness.read_store(unsharded.data_dir)
    assert not problems, "unsharded: " + "; ".join(problems[:10])
    first_second = max(min(sec for per in cells.values() for sec in per) for cells in per_shard + [single_cells])
    # A few seconds in, so every queue had sent its first batches; up to last_second inclusive.
    frm, to = first_second + 3, last_second + 1
    assert to - frm >= 10, f"comparison range too short: [{frm}, {to})"
    shard_dirs = [s.data_dir for s in shards]
    merged, merged_err = export_table(seismo_bin, ["--data", *shard_dirs], frm, to, stack.dir("out"), "merged")
    single, _ = export_table(seismo_bin, ["--data", unsharded.data_dir], frm, to, stack.dir("out"), "single")
    assert b"conflict" not in merged_err and b"different" not in merged_err, merged_err.decode(errors="replace")
    compared = compare_tables(merged, single, frm, to)
    # The repeated form (--data A --data B) reads the same: byte-identical file.
    again, _ = export_table(seismo_bin, ["--data", shard_dirs[0], "--data", shard_dirs[1]], frm, to, stack.dir("out"),
                            "merged-repeated")
    with open(merged, "rb") as a, open(again, "rb") as b:
        assert a.read() == b.read(), "--data A B and --data A --data B wrote different files"
    duckdb_wide_equals_export(root, merged, frm, to)
    print(f"\nshards: {sizes[0]} + {sizes[1]} series = Prometheus' {len(prom_keys)}; merged export = unsharded "
          f"over [{frm}, {to}): {compared[0]} columns x {compared[1]} rows, {compared[2]} non-null cells")


def export_table(seismo_bin, data_args, frm, to, out_dir, name):
    path = os.path.join(out_dir, f"{name}.parquet")
    r = subprocess.run([seismo_bin, "export", *data_args, "--from", str(frm), "--to", str(to), "--output", path],
                       capture_output=True, timeout=60)
    assert r.returncode == 0, f"export {name}: exit {r.returncode}: {r.stderr.decode(errors='replace')[-2000:]}"
    return path, r.stderr


def compare_tables(merged_path, single_path, frm, to):
    """Asserts the two exports hold the same table; returns (columns, rows, non-null cells)."""
    import pyarrow.parquet as pq

    merged, single = pq.read_table(merged_path), pq.read_table(single_path)
    ts = single.column("timestamp").cast("int64").to_pylist()
    assert ts == [s * 1000 for s in range(frm, to)], "the unsharded export is not one row per second of the range"
    assert merged.column("timestamp").cast("int64").to_pylist() == ts
    # Series columns come in one order (Prometheus label order) in both. A series may exist
    # in only one side's catalog when it first appeared after the range while one writer had
    # already stopped; such a column must then be all null over the range.
    only = set(merged.column_names) ^ set(single.column_names)
    for name in only:
        t = merged if name in merged.column_names else single
        assert t.column(name).null_count == len(t), f"column {name!r} only in one export holds data in the range"
    common = [c for c in single.column_names if c not in only]
    assert common == [c for c in merged.column_names if c not in only], "column order differs"
    assert len(common) > 200, f"only {len(common)} columns"
    assert merged.schema.metadata.keys() == single.schema.metadata.keys()
    diffs, cells = [], 0
    for name in common:
        if name == "timestamp":
            continue
        a, b = merged.column(name).combine_chunks(), single.column(name).combine_chunks()
        assert str(a.type) == str(b.type) == "double", (name, a.type, b.type)
        va, vb = a.is_valid().to_pylist(), b.is_valid().to_pylist()
        ba, bb = harness.float64_bits_of(a), harness.float64_bits_of(b)
        for row, (x, y, p, q) in enumerate(zip(va, vb, ba, bb)):
            if x != y or (x and p != q):
                diffs.append(f"{name} @ {frm + row}: merged {harness.fmt_bits(p) if x else 'null'}, "
                             f"unsharded {harness.fmt_bits(q) if y else 'null'}")
            cells += x
    assert not diffs, f"{len(diffs)} cells differ, e.g.\n" + "\n".join(diffs[:20])
    assert cells > 0
    return len(common) - 1, len(ts), cells


def duckdb_wide_equals_export(root, export_path, frm, to):
    """The README's per-second DuckDB query over the shards' raw segment files gives the
    merged export's cells, except stale markers (NaN there, null in the export)."""
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    pattern = os.path.join(root, "shard=*", "segments", "*", "*.parquet").replace("'", "''")
    con = duckdb.connect()
    try:
        wide = con.sql(f"""
            SELECT timestamp, any_value(COLUMNS(* EXCLUDE (timestamp, shard)))
            FROM read_parquet('{pattern}', hive_partitioning = true, union_by_name = true)
            GROUP BY timestamp ORDER BY timestamp
        """).to_arrow_table()
    finally:
        con.close()
    export = pq.read_table(export_path)
    # DuckDB hands timestamps back in microseconds; the export's are milliseconds.
    tcol = wide.column("timestamp")
    ts = tcol.cast(pa.timestamp("ms", tz=tcol.type.tz)).cast("int64").to_pylist()
    rows = [i for i, t in enumerate(ts) if frm * 1000 <= t < to * 1000]
    assert [ts[i] for i in rows] == export.column("timestamp").cast("int64").to_pylist()
    diffs = []
    for name in export.column_names[1:]:
        # A series whose every segment holds only whole numbers stays BIGINT in DuckDB.
        raw_col = harness.series_array(wide.column(name))
        raw_bits = harness.float64_bits_of(raw_col)
        raw_ok = raw_col.is_valid().to_pylist()
        raw = [raw_bits[i] if raw_ok[i] and raw_bits[i] != harness.STALE_NAN_BITS else None for i in rows]
        col = export.column(name).combine_chunks()
        ok, bits = col.is_valid().to_pylist(), harness.float64_bits_of(col)
        got = [b if v else None for v, b in zip(ok, bits)]
        if raw != got:
            diffs.append(name)
    assert not diffs, f"{len(diffs)} columns differ between DuckDB's per-second view and the export: {diffs[:5]}"
