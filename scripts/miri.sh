#!/usr/bin/env bash
# Runs the library's unit tests under Miri, which checks every raw-pointer cast,
# ownership hand-off and free of the C boundary (src/ffi/boundary.rs), and the
# lock-free index of the exchanged-token cache (src/cache/index.rs), for
# undefined behaviour and data races. Part of `make test` (test-miri); needs the nightly toolchain.
#
# Usage: scripts/miri.sh [test filter...]   (default: ffi:: cache::index::)
#   scripts/miri.sh ''    every unit test that needs no file system or network
# The corpus replay (fuzzing::) is skipped: it reads files, which Miri's
# isolation forbids, and is far too slow interpreted.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "miri: skipped (no nightly toolchain)"; exit 0
fi
if ! rustup +nightly component add miri rust-src >/dev/null 2>&1; then
  echo "miri: skipped (the miri and rust-src components are unavailable)"; exit 0
fi
cargo +nightly miri setup
[ $# -gt 0 ] || set -- ffi:: cache::index::
cargo +nightly miri test --lib -- --skip fuzzing:: "$@"
