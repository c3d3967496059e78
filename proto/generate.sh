#!/usr/bin/env bash
# Regenerates the committed protobuf-c code in Sources/CSeismoPromPB from proto/*.proto
# (remote write 1.0) and proto/io/prometheus/write/v2/types.proto (remote write 2.0).
# Needs Debian's protobuf-c-compiler (protoc-c 1.4.1). Run from anywhere.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../Sources/CSeismoPromPB"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
protoc-c --proto_path="$here" --c_out="$tmp" types.proto remote.proto io/prometheus/write/v2/types.proto
# SwiftPM wants public headers under include/; the generated .c files include
# "types.pb-c.h" by plain name, which resolves through the include path.
mkdir -p "$out/include"
cp "$tmp"/*.pb-c.h "$out/include/"
cp "$tmp"/*.pb-c.c "$out/"
# The v2 schema is also called types.proto, so its output is flattened under a
# distinct name, and the .c's include of its header is rewritten to match.
v2="$tmp/io/prometheus/write/v2"
cp "$v2/types.pb-c.h" "$out/include/io_prometheus_write_v2_types.pb-c.h"
sed 's|#include "io/prometheus/write/v2/types.pb-c.h"|#include "io_prometheus_write_v2_types.pb-c.h"|' \
    "$v2/types.pb-c.c" >"$out/io_prometheus_write_v2_types.pb-c.c"
grep -q '#include "io_prometheus_write_v2_types.pb-c.h"' "$out/io_prometheus_write_v2_types.pb-c.c" \
    || { echo "generate.sh: v2 include line not rewritten" >&2; exit 1; }
echo "generated: $(cd "$tmp" && find . -name '*.pb-c.*' | sort | tr '\n' ' ')"
