"""Issue 8: the report, from a real server's data. Synthetic data with one clear anomaly
(a level shift on one series of a group) goes into a Seismo running a rules file, without
an Alertmanager (the evaluator runs all the same; only sending is off). Two labeled
intervals are posted: one over the shift, one over a quiet stretch.

Asserted:
- the alert fires and resolves, and both transitions are in DIR/alerts/events.log;
- `seismo report` writes one self-contained page (no scripts, no external references)
  whose inline SVGs parse as XML, whose summary counts 1 alert, 2 intervals, 1 detected,
  1 missed, 0 false alerts, and which shows the shifted series with its label value
  escaped;
- `GET /report` serves the same summary from the live store;
- the page rendered by headless Chromium is a picture: lines, markers and shading drawn.
"""

import json
import math
import os
import random
import re
import subprocess
import time

import pytest

import harness
import report_check

RULES = """\
rules:
  - name: LevelShift
    match: ['{job="demo"}']
    detector: baseline
    threshold: 0.9
    for: 2s
    resolve: {below: 0.5, for: 5s}
    group_by: [instance]
"""

QUIET, SHIFT, AFTER = 240, 60, 120
ODD = 'a<b>&"c"'  # a label value that must come out escaped


def series_samples(start, rng):
    """Per second: the shifting series and a quiet neighbour in the same group."""
    hot, calm = [], []
    for k in range(QUIET + SHIFT + AFTER):
        t_ms = (start + k) * 1000 + 100
        level = 160.0 if QUIET <= k < QUIET + SHIFT else 100.0
        hot.append((t_ms, harness.f64_bits(level + rng.gauss(0, 1))))
        calm.append((t_ms, harness.f64_bits(50 + rng.gauss(0, 0.5))))
    hot_labels = [("__name__", "demo_latency_ms"), ("instance", "app-1"), ("job", "demo"), ("path", ODD)]
    calm_labels = [("__name__", "demo_queue_depth"), ("instance", "app-1"), ("job", "demo")]
    return [(hot_labels, hot), (calm_labels, calm)]


def post_in_order(seismo, series, chunk=20):
    """Sends the seconds in time order, `chunk` seconds per request, as a scrape would."""
    n = len(series[0][1])
    for i in range(0, n, chunk):
        body = harness.snappy_compress(harness.encode_write_request([(l, s[i:i + chunk]) for l, s in series]))
        r = seismo.post(body)
        assert r.status == 204, r.text


def test_report_from_cli_and_http(seismo_bin, stack):
    rules = os.path.join(stack.dir("cfg"), "rules.yaml")
    with open(rules, "w") as f:
        f.write(RULES)
    data = stack.dir("data")
    seismo = stack.seismo(data, "--rules", rules).start()

    start = int(time.time()) - (QUIET + SHIFT + AFTER) - 30
    post_in_order(seismo, series_samples(start, random.Random(8)))
    onset, back = start + QUIET, start + QUIET + SHIFT
    labels = [
        {"start": onset, "end": back, "anomaly_type": "level shift", "details": "synthetic +60"},
        {"start": start + 100, "end": start + 130, "anomaly_type": "unseen", "details": "nothing in the data"},
    ]
    r = harness.http_request("POST", seismo.url + "/api/v1/labels", json.dumps(labels).encode(),
                             {"Content-Type": "application/json"})
    assert r.status == 200, r.text

    log = os.path.join(data, "alerts", "events.log")

    def transitions():
        if not os.path.exists(log):
            return None
        kinds = [json.loads(line)["kind"] for line in open(log) if line.strip()]
        return kinds if "resolved" in kinds else None

    kinds = harness.wait_until(transitions, 30, what="firing and resolved in events.log")
    assert kinds[:2] == ["firing", "resolved"], kinds
    events = [json.loads(line) for line in open(log)]
    fired = events[0]
    assert fired["rule"] == "LevelShift" and fired["group"] == {"instance": "app-1"}
    assert fired["series"]["path"] == ODD, fired
    assert onset <= fired["second"] <= onset + 10, (fired["second"] - onset, fired)

    # --- CLI (reads the directory while the server holds it)
    out = os.path.join(stack.dir("out"), "report.html")
    t_from, t_to = str(start), str(start + QUIET + SHIFT + AFTER)
    r = subprocess.run([seismo_bin, "report", "--data", data, "--from", t_from, "--to", t_to, "--rules", rules,
                        "--pad", "2m", "--output", out], capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    html = open(out, encoding="utf-8").read()
    check_page(html)

    # --- HTTP, from the live store
    q = f"/report?from={t_from}&to={t_to}&pad=120s"
    r = harness.http_request("GET", seismo.url + q, timeout=60)
    assert r.status == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert report_check.summary_numbers(r.text) == report_check.summary_numbers(html)
    r = harness.http_request("GET", seismo.url + "/report?from=yesterday")
    assert r.status == 400, r.text

    # A range with no events still renders (intervals and scores only, or nothing at all).
    r = subprocess.run([seismo_bin, "report", "--data", data, "--from", str(start - 7200),
                        "--to", str(start - 3600), "--output", "-"], capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    empty = r.stdout.decode()
    assert "No alerts and no labeled anomaly intervals" in empty
    report_check.svg_elements(empty)

    # --- as a person sees it
    if report_check.chromium() is None:
        pytest.fail("chromium missing: run scripts/setup")
    png = os.path.join(stack.dir("out"), "report.png")
    report_check.render(out, png, height=1800)
    stats = report_check.assert_picture(png)
    print(f"\n[report] screenshot {png}: {stats}")
    if os.environ.get("SEISMO_REPORT_SHOT"):
        import shutil
        shutil.copy(png, os.environ["SEISMO_REPORT_SHOT"])


def check_page(html):
    assert html.startswith("<!DOCTYPE html>")
    # Self-contained: no scripts, no external resources.
    assert "<script" not in html.lower()
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', html), "external reference in the page"
    svgs = report_check.svg_elements(html)
    # Overview + alert panel (series + score) + missed-interval panel (series + score).
    assert len(svgs) >= 5, len(svgs)
    paths = [p for s in svgs for p in s.iter(report_check.SVG_NS + "path") if p.get("class") == "series"]
    assert paths and all(len(p.get("d", "")) > 20 for p in paths[:2])
    classes = {e.get("class") for s in svgs for e in s.iter()}
    assert {"interval", "firing", "resolved", "threshold"} <= classes, classes
    nums = report_check.summary_numbers(html)
    assert nums == {"alerts": 1, "labeled intervals": 2, "detected": 1, "missed intervals": 1, "false alerts": 0}, nums
    # The label value is shown escaped, never as markup.
    assert "a&lt;b&gt;&amp;" in html
    assert 'a<b>&"c"' not in html
    assert "Alert LevelShift" in html and "Labeled interval unseen" in html
    assert "demo_latency_ms" in html
