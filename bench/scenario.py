#!/usr/bin/env python3
"""The study's scenario at full length, measured (issue 4's benchmark, not a test).

    .venv/bin/python bench/scenario.py [--cycles 30] [--quiet-minutes 5] [--json OUT]

Real Prometheus 2.42 scrapes node_exporter and the memory hog's cgroup exporter every
second and remote-writes into Seismo; Seismo scores every sample inline and sends alerts
to a real Alertmanager 0.25. The hog (deploy/anomaly-generator) runs with the study's
parameters (400 MiB limit, 20 MiB per second from onset, so the kernel OOM-kills it about
20 s after onset), restarted --cycles times, after a quiet period of normal running.

Seismo runs two rules side by side:
  MemoryHog      the targeted rule of deploy/rules.example.yaml's kind (hog memory only);
  SeismoAnomaly  a copy of the built-in default rule (every series, grouped by instance).

Alertmanager is polled every 0.25 s; an alert episode is one (fingerprint, startsAt) pair,
timed when it is first seen in Alertmanager. An episode is a detection of cycle k when it
is first seen between onset k and the hog's death + --grace seconds; any other episode is
a false alert. Printed per rule: event recall, median and p90 delay from onset to the
alert in Alertmanager, false alerts per hour of normal running (run time outside the
[onset, death + grace] windows). Onsets are whole seconds (the hog's phase files), so
delays are overstated by up to 1 s.

Needs root and the cgroup-v1 memory controller. Every process started is stopped by PID.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "Tests", "integration"))

import harness  # noqa: E402

GEN = os.path.join(REPO, "deploy", "anomaly-generator")

# The e2e test's targeted rule and its Prometheus and Alertmanager set-up, plus the
# built-in default rule spelled out beside the targeted one.
from test_detection_e2e import AM_YML, PROM_YML, RULES as MEMORY_HOG_RULES  # noqa: E402

RULES = MEMORY_HOG_RULES + """\
  # The built-in default rule (AlertRule.swift, RuleSet.builtInDefault), spelled out.
  - name: SeismoAnomaly
    detector: baseline
    threshold: 0.99
    for: 30s
    resolve: {below: 0.7, for: 120s}
    group_by: [instance]
    group_score: count
    labels: {severity: warning}
"""

RULE_NAMES = ("MemoryHog", "SeismoAnomaly")


class Procs:
    def __init__(self, root: str):
        self.root = root
        self.logs = os.path.join(root, "logs")
        os.makedirs(self.logs, exist_ok=True)
        self.procs: list[harness.Proc] = []

    def dir(self, name: str) -> str:
        p = os.path.join(self.root, name)
        os.makedirs(p, exist_ok=True)
        return p

    def start(self, name: str, argv: list[str]) -> harness.Proc:
        p = harness.Proc(name, argv, self.logs)
        self.procs.append(p)
        return p

    def stop_all(self):
        for p in reversed(self.procs):
            p.stop(timeout=20)


def am_alerts(port: int) -> list[dict]:
    r = harness.http_request("GET", f"http://127.0.0.1:{port}/api/v2/alerts?active=true&silenced=false&inhibited=false")
    if r.status != 200:
        return []
    return [a for a in json.loads(r.body) if a["status"]["state"] == "active"]


def percentile(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def evaluate(episodes: dict, onsets: list[float], deaths: list[float], t_start: float, t_end: float,
             grace: float) -> dict:
    windows = [(o, d + grace) for o, d in zip(onsets, deaths)]
    out = {}
    for rule in RULE_NAMES:
        seen = sorted(t for (name, _fp, _sa), t in episodes.items() if name == rule)
        first = [None] * len(windows)
        false = []
        for t in seen:
            hit = [k for k, (a, b) in enumerate(windows) if a <= t <= b]
            if hit:
                k = hit[0]
                if first[k] is None:
                    first[k] = t
            else:
                false.append(t)
        delays = [f - o for f, (o, _) in zip(first, windows) if f is not None]
        anomalous = sum(min(b, t_end) - max(a, t_start) for a, b in windows if b > t_start and a < t_end)
        normal_h = max(t_end - t_start - anomalous, 0) / 3600
        out[rule] = {
            "cycles": len(windows),
            "detected": len(delays),
            "recall": len(delays) / len(windows) if windows else None,
            "delay_median_s": statistics.median(delays) if delays else None,
            "delay_p90_s": percentile(delays, 0.9),
            "delay_max_s": max(delays) if delays else None,
            "false_alerts": len(false),
            "false_alert_times_rel_start_s": [round(t - t_start, 1) for t in false],
            "normal_hours": normal_h,
            "false_alerts_per_hour": len(false) / normal_h if normal_h > 0 else None,
        }
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cycles", type=int, default=30)
    ap.add_argument("--quiet-minutes", type=float, default=5.0, help="normal running before the first cycle")
    ap.add_argument("--workload-min", type=float, default=20.0)
    ap.add_argument("--workload-max", type=float, default=60.0)
    ap.add_argument("--grace", type=float, default=10.0, help="seconds after the kill still counted as the event")
    ap.add_argument("--json", help="write the figures here as JSON too")
    ap.add_argument("--keep", action="store_true", help="keep the run directory")
    args = ap.parse_args()
    # SIGTERM ends the run through the finally below, so every process is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if os.geteuid() != 0 or not os.path.isdir("/sys/fs/cgroup/memory"):
        print("scenario: needs root and the cgroup-v1 memory controller", file=sys.stderr)
        return 2

    root = harness.mkdtemp("scenario")
    procs = Procs(root)
    seismo = None
    try:
        am_port, ne_port, hog_port, prom_port = (harness.free_port() for _ in range(4))
        amd = procs.dir("alertmanager")
        with open(os.path.join(amd, "am.yml"), "w") as f:
            f.write(AM_YML)
        am = procs.start("alertmanager", ["prometheus-alertmanager", f"--config.file={amd}/am.yml",
                                          f"--storage.path={amd}", f"--web.listen-address=127.0.0.1:{am_port}",
                                          "--cluster.listen-address="])
        harness.wait_until(lambda: am.alive() and harness.http_ok(f"http://127.0.0.1:{am_port}/-/ready"), 30,
                           what="alertmanager ready")
        rules = os.path.join(procs.dir("cfg"), "rules.yaml")
        with open(rules, "w") as f:
            f.write(RULES)
        seismo = harness.Seismo(procs.dir("data"), procs.logs, "--rules", rules,
                                "--alertmanager.url", f"http://127.0.0.1:{am_port}").start()
        procs.start("node_exporter", ["prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{ne_port}"])

        times = procs.dir("times")
        hog_args = ["--", "--start-delay", "2", "--workload-min", str(args.workload_min),
                    "--workload-max", str(args.workload_max)]  # step 20 MiB/s and 400 MiB: the study's
        # The hog runner is started after the quiet period; its exporter must exist from the
        # start so the quiet period covers the hog's series too. So: one runner, delayed start.
        pd = procs.dir("prometheus")
        with open(os.path.join(pd, "prometheus.yml"), "w") as f:
            f.write(PROM_YML.format(ne_port=ne_port, hog_port=hog_port, url=seismo.write_url))
        prom = procs.start("prometheus", ["prometheus", f"--config.file={pd}/prometheus.yml",
                                          f"--storage.tsdb.path={pd}/tsdb", f"--web.listen-address=127.0.0.1:{prom_port}"])
        harness.wait_until(lambda: prom.alive() and harness.http_ok(f"http://127.0.0.1:{prom_port}/-/ready"), 60,
                           what="prometheus ready")

        episodes: dict[tuple, float] = {}

        def poll():
            now = time.time()
            for a in am_alerts(am_port):
                name = a["labels"].get("alertname")
                if name in RULE_NAMES:
                    episodes.setdefault((name, a["fingerprint"], a["startsAt"]), now)

        t_start = time.time()
        print(f"scenario: {root}; quiet period {args.quiet_minutes} min", flush=True)
        quiet_end = t_start + args.quiet_minutes * 60
        while time.time() < quiet_end:
            poll()
            time.sleep(0.25)

        hog = procs.start("memory-hog", [sys.executable, os.path.join(GEN, "run_local.py"),
                                         "--cycles", str(args.cycles), "--limit-mib", "400",
                                         "--cgroup-name", f"seismo-scenario-{os.getpid()}",
                                         "--exporter-listen", f"127.0.0.1:{hog_port}", "--times-dir", times,
                                         "--seismo-url", seismo.url, "--restart-delay", "1", *hog_args])
        deadline = time.time() + args.cycles * (args.workload_max + 40) + 60
        last_report = time.time()
        while hog.alive() and time.time() < deadline:
            poll()
            time.sleep(0.25)
            if time.time() - last_report > 120:
                last_report = time.time()
                print(f"scenario: {time.time() - t_start:.0f} s, episodes so far {len(episodes)}", flush=True)
        if hog.alive():
            print("scenario: the hog did not finish in time; stopping it", file=sys.stderr)
            hog.stop()
        t_end = time.time()
        # One more look for alerts of the last cycle.
        while time.time() < t_end + args.grace:
            poll()
            time.sleep(0.25)

        onsets = [float(x) for x in open(os.path.join(times, "times_anomalies.txt")).read().split()]
        deaths = []
        with open(hog.log_path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{") and '"cycle"' in line:
                    deaths.append(json.loads(line)["end"])
        n = min(len(onsets), len(deaths))
        result = {
            "cycles_run": n,
            "run_seconds": round(t_end - t_start, 1),
            "quiet_seconds": args.quiet_minutes * 60,
            "onset_to_death_median_s": statistics.median([d - o for o, d in zip(onsets, deaths)]) if n else None,
            "rules": evaluate(episodes, onsets[:n], deaths[:n], t_start, t_end, args.grace),
        }
        m = seismo.metrics()
        result["seismo"] = {k: v for k, v in m.items() if k.startswith("seismo_detect_") or k.startswith("seismo_alerts_")}
        print(f"\ncycles {n}, run {result['run_seconds'] / 60:.1f} min, onset→OOM kill median "
              f"{result['onset_to_death_median_s']:.1f} s")
        print(f"{'rule':<14} {'recall':>8} {'median s':>9} {'p90 s':>7} {'max s':>7} {'false':>6} {'normal h':>9} {'false/h':>8}")
        for rule, r in result["rules"].items():
            def f(x, fmt):
                return "-" if x is None else format(x, fmt)
            print(f"{rule:<14} {r['detected']:>3}/{r['cycles']:<4} {f(r['delay_median_s'], '9.1f')} "
                  f"{f(r['delay_p90_s'], '7.1f')} {f(r['delay_max_s'], '7.1f')} {r['false_alerts']:>6} "
                  f"{r['normal_hours']:>9.2f} {f(r['false_alerts_per_hour'], '8.2f')}")
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=1)
        return 0
    finally:
        if seismo is not None and seismo.proc:
            seismo.proc.stop(timeout=20)
        procs.stop_all()
        if not args.keep:
            import shutil
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"kept {root}")


if __name__ == "__main__":
    sys.exit(main())
