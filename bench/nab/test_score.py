"""pytest: score.py on a tiny synthetic corpus with hand-computed expectations.

Run: /work/main/.venv/bin/python -m pytest bench/nab/test_score.py
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import score as S  # noqa: E402

N = 1000  # rows per file -> probation = 150 rows


def ts(i):
    return 1_600_000_000 + 300 * i


def make_corpus(tmp, fire_rows):
    """Two files; file a has one window rows 500..599, file b has none.
    fire_rows: {"a": [...], "b": [...]} rows that get score 1."""
    data, res = tmp / "data" / "cat", tmp / "res" / "cat"
    data.mkdir(parents=True)
    res.mkdir(parents=True)
    windows = {"cat/a.csv": [[str(ts(500)), str(ts(599))]], "cat/b.csv": []}
    for name in ("a", "b"):
        with open(data / f"{name}.csv", "w") as f:
            f.write("timestamp,value\n" + "".join(f"{ts(i)},1\n" for i in range(N)))
        with open(res / f"{name}.csv", "w") as f:
            f.write("timestamp,value,anomaly_score,label\n")
            for i in range(N):
                f.write(f"{ts(i)},1,{1.0 if i in fire_rows.get(name, []) else 0.0},0\n")
    (tmp / "windows.json").write_text(json.dumps(windows))
    return S.load_corpus(str(tmp / "data"), str(tmp / "windows.json"), str(tmp / "res"))


def test_sigmoid_shape():
    assert abs(S.scaled_sigmoid(0.0)) < 1e-12
    assert abs(S.scaled_sigmoid(-1.0) - 0.98661) < 1e-5
    assert S.scaled_sigmoid(3.5) == -1.0


def test_null_is_zero_and_window_start_is_hundred(tmp_path):
    assert S.sweep(make_corpus(tmp_path / "n", {}), "standard")["score"] == 0.0
    for p in S.PROFILES:
        assert abs(S.sweep(make_corpus(tmp_path / p, {"a": [500]}), p)["score"] - 100.0) < 1e-9


def test_late_detection_earns_less_and_only_earliest_counts(tmp_path):
    late = S.sweep(make_corpus(tmp_path / "late", {"a": [590]}), "standard")
    both = S.sweep(make_corpus(tmp_path / "both", {"a": [550, 590]}), "standard")
    mid = S.sweep(make_corpus(tmp_path / "mid", {"a": [550]}), "standard")
    assert 0 < late["score"] < mid["score"] < 100
    assert both["score"] == mid["score"]  # the later detection adds nothing


def test_false_positive_costs_fp_weight(tmp_path):
    # One detection before any window (file b) costs the full -fpWeight.
    r = S.sweep(make_corpus(tmp_path / "fp", {"a": [500], "b": [400]}), "standard")
    # raw = 1 - 0.11; null = -1; perfect = 1 -> 100 * (1.89 / 2)
    assert abs(r["score"] - 100 * (2 - 0.11) / 2) < 1e-9


def test_probation_rows_are_not_scored(tmp_path):
    r = S.sweep(make_corpus(tmp_path / "prob", {"a": [500], "b": [10]}), "standard")
    assert abs(r["score"] - 100.0) < 1e-9
