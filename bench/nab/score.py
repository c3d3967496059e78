#!/usr/bin/env python3
"""NAB-style scorer for replay outputs, written from the rules in
shared/research/detection.md section 1.1 (not a copy of NAB's code).

Usage:
  score.py --data DATA_DIR --windows combined_windows.json --results RESULTS_DIR
           [--name DETECTOR] [--json]

RESULTS_DIR holds <category>/<file>.csv with columns timestamp,value,anomaly_score[,label]
(one row per data row). Prints the normalised score for the three profiles.

Why a reimplementation: the reference scorer needs pandas < 3 and a NAB checkout;
this one is stdlib-only and fast enough to sit in a tuning loop.
"""
import argparse
import csv
import json
import math
import os
import sys
from datetime import datetime, timezone

PROFILES = {
    "standard": {"tp": 1.0, "fn": 1.0, "fp": 0.11},
    "reward_low_FP_rate": {"tp": 1.0, "fn": 1.0, "fp": 0.22},
    "reward_low_FN_rate": {"tp": 1.0, "fn": 2.0, "fp": 0.11},
}


def scaled_sigmoid(y):
    # NAB's scaled sigmoid: +1 far left of a window's end, 0 at the end, -1 beyond 3 widths.
    if y > 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * y)) - 1.0


def parse_ts(text):
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            continue
    raise ValueError("unparseable timestamp %r" % text)


def read_timestamps(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return [parse_ts(r[0]) for r in rows[1:] if r]


def read_scores(path):
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        col = header.index("anomaly_score")
        return [float(r[col]) for r in reader if r]


def probation_rows(n):
    # min(floor(0.15 n), 0.15 * 5000): at most 750 rows are never scored.
    return int(min(math.floor(0.15 * n), 0.15 * 5000))


def file_rows(timestamps, windows):
    """Per scored row: (window id or None, tp sigmoid or None, fp sigmoid or None).

    Window rows get sigma(-(right - i + 1) / width) (earliest row ~ sigma(-1));
    rows outside windows get sigma(distance past previous window / (width - 1)),
    or -1 when no window precedes them.
    """
    n = len(timestamps)
    prob = probation_rows(n)
    # Map window timestamp ranges to row index ranges; drop windows that touch probation.
    spans = []
    for start, end in windows:
        s, e = parse_ts(start), parse_ts(end)
        idx = [i for i, t in enumerate(timestamps) if s <= t <= e]
        if not idx or idx[0] < prob:
            continue
        spans.append((idx[0], idx[-1]))
    spans.sort()
    out = []
    wi = 0
    prev = None  # (right index, width) of the last window passed
    for i in range(n):
        while wi < len(spans) and spans[wi][1] < i:
            prev = (spans[wi][1], spans[wi][1] - spans[wi][0] + 1)
            wi += 1
        if i < prob:
            continue
        if wi < len(spans) and spans[wi][0] <= i <= spans[wi][1]:
            left, right = spans[wi]
            width = right - left + 1
            out.append((i, wi, scaled_sigmoid(-(right - i + 1) / width), None))
        else:
            if prev is None:
                fp = -1.0
            else:
                right, width = prev
                fp = scaled_sigmoid(abs(i - right) / max(width - 1, 1))
            out.append((i, None, None, fp))
    return out, len(spans)


def load_corpus(data_dir, windows_file, results_dir):
    with open(windows_file) as f:
        all_windows = json.load(f)
    corpus = []
    for cat in sorted(os.listdir(data_dir)):
        cdir = os.path.join(data_dir, cat)
        if not os.path.isdir(cdir):
            continue
        for name in sorted(os.listdir(cdir)):
            if not name.endswith(".csv"):
                continue
            key = "%s/%s" % (cat, name)
            ts = read_timestamps(os.path.join(cdir, name))
            res = os.path.join(results_dir, cat, name)
            if not os.path.exists(res):
                raise SystemExit("missing result file %s" % res)
            scores = read_scores(res)
            if len(scores) != len(ts):
                raise SystemExit("%s: %d scores for %d rows" % (res, len(scores), len(ts)))
            rows, nwin = file_rows(ts, all_windows.get(key, []))
            corpus.append((key, rows, nwin, scores))
    return corpus


def sweep(corpus, profile):
    """Best raw score over one corpus-wide threshold (detect when score >= threshold).

    Rows are visited in descending score order; per window we keep the best
    (earliest, highest-sigmoid) detection so far, so each threshold step is O(1) amortised.
    """
    w = PROFILES[profile]
    tp_norm = scaled_sigmoid(-1.0)
    events = []  # (score, global window id or None, weight)
    total_windows = 0
    for key, rows, nwin, scores in corpus:
        for i, win, tp, fp in rows:
            if win is not None:
                events.append((scores[i], total_windows + win, tp * w["tp"] / tp_norm))
            else:
                events.append((scores[i], None, fp * w["fp"]))
        total_windows += nwin
    events.sort(key=lambda e: -e[0])
    best_tp = {}
    tp_sum = 0.0
    fp_sum = 0.0
    null = -w["fn"] * total_windows
    best = (null, float("inf"))  # threshold above every score = the null detector
    i = 0
    while i < len(events):
        thr = events[i][0]
        while i < len(events) and events[i][0] == thr:
            _, win, val = events[i]
            if win is None:
                fp_sum += val
            else:
                old = best_tp.get(win)
                if old is None:
                    best_tp[win] = val
                    tp_sum += val
                elif val > old:
                    best_tp[win] = val
                    tp_sum += val - old
            i += 1
        raw = tp_sum - w["fn"] * (total_windows - len(best_tp)) + fp_sum
        if raw > best[0]:
            best = (raw, thr)
    perfect = w["tp"] * total_windows
    normalised = 100.0 * (best[0] - null) / (perfect - null) if perfect != null else 0.0
    return {"raw": best[0], "threshold": best[1], "null": null, "perfect": perfect,
            "score": normalised, "windows": total_windows}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--windows", required=True, help="combined_windows.json or the labels folder")
    ap.add_argument("--results", required=True)
    ap.add_argument("--name", default="detector")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    wf = a.windows
    if os.path.isdir(wf):
        wf = os.path.join(wf, "combined_windows.json")
    corpus = load_corpus(a.data, wf, a.results)
    res = {p: sweep(corpus, p) for p in PROFILES}
    if a.json:
        print(json.dumps({"detector": a.name, **res}))
    else:
        for p, r in res.items():
            print("%-8s %-20s %7.2f  (threshold %.6g, raw %.3f, null %.1f, windows %d)"
                  % (a.name, p, r["score"], r["threshold"], r["raw"], r["null"], r["windows"]))


if __name__ == "__main__":
    main()
