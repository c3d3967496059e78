#!/usr/bin/env python3
"""One life of the study's memory-hog service (thesis §3.3), re-implemented for Seismo.

Phases, each time-stamped (unix seconds) in a times file, as the study's service did:
  start     -> times_start.txt      "Waiting for the script to start"
  workload  -> times_kafka.txt      "Kafka running": a light steady workload (10 small
                                    writes a second to a sink, the stand-in for the
                                    study's 1-byte-every-0.1-s Kafka producer)
  anomaly   -> times_anomalies.txt  "Generating anomaly": memory is requested in steps
                                    until the kernel OOM-kills the process at the
                                    cgroup's (or the Pod's) memory limit.
When --seismo-url is given, every phase is also posted to Seismo's POST /api/v1/labels,
so the interval is stored beside the data; a failed post is reported and the files
remain the source of truth. Standard library only (it runs in a bare container).
"""
import argparse
import json
import os
import random
import sys
import time
import urllib.request


def stamp(directory, name):
    now = time.time()
    if directory:
        with open(os.path.join(directory, name), "a") as f:
            f.write(f"{int(now)}\n")
            f.flush()
            os.fsync(f.fileno())
    return now


def post_label(url, start, end, state, anomaly_type="", details=""):
    if not url:
        return
    body = json.dumps({"start": start, "end": end, "state": state,
                       "anomaly_type": anomaly_type, "details": details}).encode()
    req = urllib.request.Request(url.rstrip("/") + "/api/v1/labels", data=body,
                                 headers={"Content-Type": "application/json"}, method="POST")
    try:
        urllib.request.urlopen(req, timeout=2).read()
    except Exception as e:  # the times files still hold the phase
        print(f"memory_hog: could not post label to {url}: {e}", file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--times-dir", default=os.environ.get("TIMES_DIR", "/files"),
                    help="directory of the phase-time files (default /files, the Pod's volume)")
    ap.add_argument("--start-delay", type=float, default=2.0, help="seconds between start and workload")
    ap.add_argument("--workload-min", type=float, default=5.0, help="shortest workload phase, seconds")
    ap.add_argument("--workload-max", type=float, default=15.0, help="longest workload phase, seconds")
    ap.add_argument("--step-mib", type=float, default=20.0, help="MiB requested per step while anomalous")
    ap.add_argument("--step-seconds", type=float, default=1.0, help="seconds between steps")
    ap.add_argument("--oom-after", type=float, default=20.0,
                    help="expected seconds from onset to kill; used as the labelled interval's end")
    ap.add_argument("--seismo-url", default=os.environ.get("SEISMO_URL", ""))
    args = ap.parse_args()

    os.makedirs(args.times_dir, exist_ok=True)
    t0 = stamp(args.times_dir, "times_start.txt")
    print(f"memory_hog: pid {os.getpid()} started at {t0:.3f}", flush=True)
    time.sleep(args.start_delay)

    t1 = stamp(args.times_dir, "times_kafka.txt")
    post_label(args.seismo_url, int(t0), int(t1), "Waiting for the script to start")
    workload = random.uniform(args.workload_min, args.workload_max)
    sink = open(os.devnull, "wb")
    deadline = t1 + workload
    while time.time() < deadline:
        sink.write(b"y")
        time.sleep(0.1)

    t2 = stamp(args.times_dir, "times_anomalies.txt")
    post_label(args.seismo_url, int(t1), int(t2), "Kafka running")
    # The anomaly's interval is labelled up front (the process will not live to write
    # its end), lasting the expected time to the kill, as the study did.
    post_label(args.seismo_url, int(t2), int(t2 + args.oom_after), "Generating anomaly",
               "Request memory until container is destroyed",
               f"Workload runs for {int(round(workload))}s before anomaly starts")
    print(f"memory_hog: anomaly onset at {t2:.3f}", flush=True)
    hog = []
    step = int(args.step_mib * 1024 * 1024)
    while True:
        block = bytearray(step)
        # Touch every page so the memory is really resident and charged to the cgroup.
        for i in range(0, step, 4096):
            block[i] = 1
        hog.append(block)
        time.sleep(args.step_seconds)


if __name__ == "__main__":
    main()
