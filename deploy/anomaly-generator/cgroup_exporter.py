#!/usr/bin/env python3
"""A tiny Prometheus exporter of one cgroup-v1 memory controller, so Prometheus sees the
memory hog's memory the way kubelet/cAdvisor would show a Pod's.

Metrics (gauges unless _total):
  anomaly_generator_memory_usage_bytes      memory.usage_in_bytes
  anomaly_generator_memory_max_usage_bytes  memory.max_usage_in_bytes
  anomaly_generator_memory_limit_bytes      memory.limit_in_bytes
  anomaly_generator_memory_failcnt_total    memory.failcnt (allocations refused at the limit)
  anomaly_generator_oom_kills_total         oom_kill in memory.oom_control (kernel >= 4.13)
  anomaly_generator_tasks                   processes in the cgroup
"""
import argparse
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def read(path, default="0"):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


def render(cg, name):
    lab = f'{{cgroup="{name}"}}'
    oom = 0
    for line in read(os.path.join(cg, "memory.oom_control"), "").splitlines():
        k, _, v = line.partition(" ")
        if k == "oom_kill":
            oom = int(v)
    tasks = len([l for l in read(os.path.join(cg, "cgroup.procs"), "").splitlines() if l.strip()])
    rows = [
        ("anomaly_generator_memory_usage_bytes", "gauge", read(os.path.join(cg, "memory.usage_in_bytes")).strip()),
        ("anomaly_generator_memory_max_usage_bytes", "gauge", read(os.path.join(cg, "memory.max_usage_in_bytes")).strip()),
        ("anomaly_generator_memory_limit_bytes", "gauge", read(os.path.join(cg, "memory.limit_in_bytes")).strip()),
        ("anomaly_generator_memory_failcnt_total", "counter", read(os.path.join(cg, "memory.failcnt")).strip()),
        ("anomaly_generator_oom_kills_total", "counter", str(oom)),
        ("anomaly_generator_tasks", "gauge", str(tasks)),
    ]
    out = []
    for metric, kind, value in rows:
        out.append(f"# TYPE {metric} {kind}\n{metric}{lab} {value}\n")
    return "".join(out).encode()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cgroup", required=True, help="cgroup-v1 memory directory, e.g. /sys/fs/cgroup/memory/seismo-hog")
    ap.add_argument("--listen", default="127.0.0.1:9911")
    args = ap.parse_args()
    name = os.path.basename(args.cgroup.rstrip("/"))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.split("?")[0] != "/metrics":
                self.send_error(404)
                return
            body = render(args.cgroup, name)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    host, port = args.listen.rsplit(":", 1)
    ThreadingHTTPServer((host, int(port)), Handler).serve_forever()


if __name__ == "__main__":
    main()
