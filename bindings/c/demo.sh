#!/usr/bin/env bash
# The demo in one command, on a fresh machine with a Rust toolchain and a C compiler:
#   1. builds the library and the dev server (cargo build --release, repository root);
#   2. compiles examples/demo.c against the in-tree header and library;
#   3. runs it: against real endpoints when COZE_WORKLOAD_IDENTITY_CLIENT_ID is
#      already set (with the other COZE_* variables), otherwise against a local
#      dev server started on an ephemeral port and stopped on exit.
#
# Usage: bindings/c/demo.sh [INTEGRATION_NAME]   (default $WI_DEMO_INTEGRATION, else github)
# WI_LIBRARY_PATH / WI_DEVSERVER: use these artifacts instead of target/release.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

echo "== building the library and the dev server"
(cd "$root" && "${CARGO:-cargo}" build --release -p workload-identity -p wi-devserver)
library=${WI_LIBRARY_PATH:-$root/target/release/libworkload_identity.so}
export WI_DEVSERVER=${WI_DEVSERVER:-$root/target/release/wi-devserver}

work=$(mktemp -d "${TMPDIR:-/tmp}/wi-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "== compiling examples/demo.c"
# The library's SONAME is libworkload_identity.so.1: link it under that name
# next to the demo, which finds it through its rpath.
ln -s "$library" "$work/libworkload_identity.so.1"
ln -s "$library" "$work/libworkload_identity.so"
"${CC:-cc}" -std=c11 -Wall -Wextra -Werror -O2 -I"$root/include" "$here/examples/demo.c" \
  -o "$work/demo" -L"$work" -lworkload_identity -Wl,-rpath,"$work"

if [ -n "${COZE_WORKLOAD_IDENTITY_CLIENT_ID:-}" ]; then
  echo "== running the demo against the endpoints configured in COZE_*"
  "$work/demo" "$@"
else
  echo "== running the demo against a local dev server"
  "$here/with-devserver.sh" "$work/demo" "$@"
fi
