#!/usr/bin/env python3
"""Runs the study's memory-hog scenario on a plain Linux host (root, cgroup v1), the way
the study's Kubernetes Pod ran it: the hog lives in a memory cgroup limited like the
Pod (`limits.memory: 400Mi`), is OOM-killed by the kernel at the limit, and is restarted
in a loop. A cgroup exporter makes the cgroup's memory visible to Prometheus.

  sudo deploy/anomaly-generator/run_local.py --cycles 30 --seismo-url http://127.0.0.1:9201

Each cycle's exit is logged as one JSON line on stdout (pid, start, end, exit signal), so
a test or a benchmark can line the OOM kills up with the alerts.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MEMCG = "/sys/fs/cgroup/memory"


def write(path, value):
    with open(path, "w") as f:
        f.write(str(value))


def make_cgroup(name, limit_bytes):
    cg = os.path.join(MEMCG, name)
    os.makedirs(cg, exist_ok=True)
    write(os.path.join(cg, "memory.limit_in_bytes"), limit_bytes)
    # Without swap limits the kernel could swap the hog out instead of killing it.
    memsw = os.path.join(cg, "memory.memsw.limit_in_bytes")
    if os.path.exists(memsw):
        write(memsw, limit_bytes)
    try:
        write(os.path.join(cg, "memory.swappiness"), 0)
    except OSError:
        pass
    return cg


def remove_cgroup(cg):
    for _ in range(50):
        try:
            os.rmdir(cg)
            return
        except OSError:
            time.sleep(0.1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cycles", type=int, default=30)
    ap.add_argument("--limit-mib", type=int, default=400, help="memory limit, as the Pod's limits.memory")
    ap.add_argument("--cgroup-name", default="seismo-hog")
    ap.add_argument("--exporter-listen", default="127.0.0.1:9911")
    ap.add_argument("--times-dir", default="./anomaly-times")
    ap.add_argument("--restart-delay", type=float, default=1.0, help="seconds before a killed hog restarts")
    ap.add_argument("--seismo-url", default="")
    ap.add_argument("hog_args", nargs="*", help="extra memory_hog.py arguments (after --)")
    args = ap.parse_args()
    if not os.path.isdir(MEMCG):
        sys.exit(f"run_local: {MEMCG} not found: this runner needs the cgroup-v1 memory controller")

    cg = make_cgroup(args.cgroup_name, args.limit_mib * 1024 * 1024)
    exporter = subprocess.Popen([sys.executable, os.path.join(HERE, "cgroup_exporter.py"),
                                 "--cgroup", cg, "--listen", args.exporter_listen])
    stop = {"now": False}

    def on_signal(*_):
        stop["now"] = True
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    hog = None
    try:
        for cycle in range(args.cycles):
            if stop["now"]:
                break
            cmd = [sys.executable, os.path.join(HERE, "memory_hog.py"), "--times-dir", args.times_dir]
            if args.seismo_url:
                cmd += ["--seismo-url", args.seismo_url]
            cmd += args.hog_args

            def enter_cgroup():
                write(os.path.join(cg, "cgroup.procs"), os.getpid())
            started = time.time()
            hog = subprocess.Popen(cmd, preexec_fn=enter_cgroup)
            while hog.poll() is None and not stop["now"]:
                time.sleep(0.05)
            if hog.poll() is None:
                hog.kill()
                hog.wait()
            ended = time.time()
            code = hog.returncode
            print(json.dumps({"cycle": cycle, "pid": hog.pid, "start": started, "end": ended,
                              "signal": -code if code < 0 else None, "exit": code if code >= 0 else None}),
                  flush=True)
            hog = None
            time.sleep(args.restart_delay)
    finally:
        if hog is not None and hog.poll() is None:
            hog.kill()
            hog.wait()
        exporter.terminate()
        exporter.wait()
        remove_cgroup(cg)


if __name__ == "__main__":
    main()
