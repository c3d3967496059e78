"""The short CI version of scripts/kill-loop: real Prometheus 2.42 remote-writing to Seismo,
three kill -9s (one random, one inside a segment seal, one inside a WAL truncation), and
afterwards nothing Prometheus stored is missing from Seismo. The full run is 20 kills.

Knobs (environment): SEISMO_KILL_LOOP_KILLS (default 3), SEISMO_KILL_LOOP_SEED.
"""

import os

import killloop


def test_kill_loop_loses_nothing(pb, seismo_bin):
    seed = os.environ.get("SEISMO_KILL_LOOP_SEED")
    r = killloop.run(pb, kills=int(os.environ.get("SEISMO_KILL_LOOP_KILLS", "3")), jobs=2, settle=5.0, head_window="20s",
                     seed=int(seed) if seed else None)
    assert not r["problems"], "\n".join(r["events"] + r["problems"])
    assert r["restarts"] == r["kills"]
    assert r["killed_mid_seal"] >= 1 and r["killed_mid_truncation"] >= 1, "\n".join(r["events"])
    assert r["samples_in_prometheus"] > 0 and r["lost"] == 0
