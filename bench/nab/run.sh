#!/usr/bin/env bash
# Replays every CSV under a NAB data folder through `seismo replay` with each
# detector, then scores the outputs with score.py. Usage:
#   bench/nab/run.sh [DATA_DIR] [LABELS_DIR] [OUT_DIR]
# Defaults: the shared NAB subset and /tmp/seismo-nab.
# SEISMO_BIN=path replays with another seismo binary (e.g. an older build, to
# compare versions in one run); otherwise the release build of this checkout.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${1:-/work/shared/data/nab/data}
LABELS=${2:-/work/shared/data/nab/labels}
OUT=${3:-/tmp/seismo-nab}
DETECTORS=${DETECTORS:-"baseline adaptive"}
PY=${PYTHON:-python3}

if [ -n "${SEISMO_BIN:-}" ]; then
  BIN=$SEISMO_BIN
else
  swift build -c release --product seismo >/dev/null
  BIN=$(swift build -c release --show-bin-path)/seismo
fi

printf '%-10s %10s %10s %10s %8s\n' detector standard low_FP low_FN replay_s
for det in $DETECTORS; do
  rm -rf "$OUT/$det"
  start=$(date +%s.%N)
  for f in "$DATA"/*/*.csv; do
    cat_dir=$(basename "$(dirname "$f")")
    mkdir -p "$OUT/$det/$cat_dir"
    "$BIN" replay --input "$f" --output "$OUT/$det/$cat_dir/$(basename "$f")" \
      --detector "$det" --labels "$LABELS/combined_windows.json"
  done
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  "$PY" bench/nab/score.py --data "$DATA" --windows "$LABELS" --results "$OUT/$det" --name "${LABEL_PREFIX:-}$det" --json \
    | "$PY" -c 'import json,sys; r=json.load(sys.stdin); print("%-10s %10.2f %10.2f %10.2f %8s" % (r["detector"], r["standard"]["score"], r["reward_low_FP_rate"]["score"], r["reward_low_FN_rate"]["score"], sys.argv[1]))' "$secs"
done
