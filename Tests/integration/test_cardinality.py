"""Issue 7 (part): a cardinality attack. A client sends many more unique series than
`limits.max_series` allows; the series beyond the cap are refused with `series_limit`,
existing series keep flowing, and Seismo's memory plateaus once the cap is reached
instead of growing with every new label set.

Scale from the environment (the CI default is small; RELIABILITY.md has a run with
millions): SEISMO_CARDINALITY_SERIES (default 200000), SEISMO_CARDINALITY_CAP (20000).
"""

import os
import time

import harness
from harness import f64_bits

TOTAL = int(os.environ.get("SEISMO_CARDINALITY_SERIES", "200000"))
CAP = int(os.environ.get("SEISMO_CARDINALITY_CAP", "20000"))
PER_REQUEST = 5000


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def request(first: int, n: int, t_ms: int) -> bytes:
    # node_exporter-like label sets; every series unique through its `id`.
    # Labels sorted by name, as the remote-write spec requires.
    series = [([("__name__", "attack_metric"), ("id", f"{first + i:09d}"),
                ("instance", f"host{(first + i) % 97}:9100"), ("job", "attack")], [(t_ms, f64_bits(1.0))])
              for i in range(n)]
    return harness.snappy_compress(harness.encode_write_request(series))


def test_unique_series_beyond_the_cap_are_refused_and_memory_plateaus(seismo_bin, stack):
    cfg = os.path.join(stack.dir("cfg"), "seismo.yaml")
    with open(cfg, "w") as f:
        f.write(f"limits:\n  max_series: {CAP}\n  max_series_per_request: {PER_REQUEST}\n")
    seismo = stack.seismo(stack.dir("data"), "--config", cfg).start()
    t_ms = (int(time.time()) - 30) * 1000
    rss = []  # (series sent so far, RSS MB)
    refused_requests = 0
    for first in range(0, TOTAL, PER_REQUEST):
        n = min(PER_REQUEST, TOTAL - first)
        r = seismo.post(request(first, n, t_ms))
        if first + n <= CAP:
            assert r.status == 204, (first, r.status, r.text)
        else:
            assert r.status == 400 and "series_limit" in r.text, (first, r.status, r.text)
            refused_requests += 1
        rss.append((first + n, rss_mb(seismo.proc.pid)))

    m = seismo.metrics()
    refused = harness.metric_sum(m, "seismo_samples_rejected_total", reason="series_limit")
    assert refused == TOTAL - CAP, (refused, TOTAL - CAP)
    # An existing series still flows after the attack.
    r = seismo.post(request(0, 1, t_ms + 1000))
    assert r.status == 204, (r.status, r.text)

    at_cap = next(mb for sent, mb in rss if sent >= CAP + 10 * PER_REQUEST)
    end = rss[-1][1]
    print(f"\n[cardinality] cap {CAP}, sent {TOTAL} unique series; RSS at cap + 50k {at_cap:.0f} MB, "
          f"at the end {end:.0f} MB; {refused:.0f} samples refused")
    # Past the cap the catalog does not grow; what is left is allocator noise.
    assert end - at_cap < 40, f"RSS grew {end - at_cap:.0f} MB after the cap: {rss[::max(1, len(rss) // 10)]}"
