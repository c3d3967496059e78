"""(a) Captured Prometheus 2.42 bodies: every one answers 204, and after a graceful stop the
Parquet segments hold exactly the per-second values decoded independently here."""

import glob
import os

import harness


def decode_fixture(pb, path):
    _, remote_pb2 = pb
    with open(path, "rb") as f:
        body = f.read()
    wr = remote_pb2.WriteRequest()
    wr.ParseFromString(harness.snappy_uncompress(body))
    series = []
    for ts in wr.timeseries:
        labels = [(l.name, l.value) for l in ts.labels]
        samples = [(s.timestamp, harness.f64_bits(s.value)) for s in ts.samples]
        series.append((labels, samples))
    return body, series, len(wr.metadata)


def test_fixtures_roundtrip_bit_exact(pb, seismo_bin, stack):
    fdir = harness.fixtures_dir()
    files = sorted(glob.glob(os.path.join(fdir, "prom242_*.bin")))
    assert len(files) >= 9, f"expected the 9 prom242 fixtures in {fdir}, found {len(files)}"

    seismo = stack.seismo(stack.dir("data"), "--head-window", "2h").start()
    expected = harness.Expected()
    n_samples = 0
    for path in files:
        body, series, n_meta = decode_fixture(pb, path)
        if "metadata" in os.path.basename(path):
            assert not series and n_meta > 0
        r = seismo.post(body)
        assert r.status == 204, f"POST {os.path.basename(path)}: expected 204, got {r.status}: {r.text[:500]}"
        expected.add_request(series)
        n_samples += sum(len(s) for _, s in series)

    assert n_samples > 0 and expected.count() > 0
    rc = seismo.stop()
    assert rc == 0, f"seismo did not exit 0 on SIGTERM (rc={rc}); log:\n{seismo.proc.log_tail()}"

    files = harness.segment_files(seismo.data_dir)
    assert files, f"no Parquet segments under {seismo.data_dir}/segments after graceful stop"
    cells, _, problems = harness.read_store(seismo.data_dir)
    assert not problems, "segment layout problems:\n" + "\n".join(problems[:30])
    diffs = harness.compare_cells(expected, cells)
    assert not diffs, (f"{len(diffs)} differences between decoded fixtures ({expected.count()} cells from "
                       f"{n_samples} samples) and the store:\n" + "\n".join(diffs))
