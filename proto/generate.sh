#!/usr/bin/env bash
# Regenerates the committed protobuf-c code in Sources/CSeismoPromPB from proto/*.proto.
# Needs Debian's protobuf-c-compiler (protoc-c 1.4.1). Run from anywhere.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../Sources/CSeismoPromPB"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
protoc-c --proto_path="$here" --c_out="$tmp" types.proto remote.proto
# SwiftPM wants public headers under include/; the generated .c files include
# "types.pb-c.h" by plain name, which resolves through the include path.
mkdir -p "$out/include"
cp "$tmp"/*.pb-c.h "$out/include/"
cp "$tmp"/*.pb-c.c "$out/"
echo "generated: $(ls "$tmp")"
