#!/usr/bin/env bash
# ThreadSanitizer run of the concurrency tests (nightly Rust, std rebuilt with
# TSan). The fork tests are left out: TSan does not support threads started
# after a multi-threaded fork (nor the unit test that starts threads in a
# forked child). Skips, saying why, when nightly or its rust-src
# component is unavailable.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "tsan: skipped (no nightly toolchain)"; exit 0
fi
if ! rustup +nightly component list --installed 2>/dev/null | grep -q '^rust-src'; then
  rustup +nightly component add rust-src >/dev/null 2>&1 || { echo "tsan: skipped (rust-src unavailable)"; exit 0; }
fi
export RUSTFLAGS="-Zsanitizer=thread"
export TSAN_OPTIONS="halt_on_error=1"
export CARGO_TARGET_DIR="${TSAN_TARGET_DIR:-target/tsan}"
cargo +nightly test -Zbuild-std --target x86_64-unknown-linux-gnu -p workload-identity \
  --lib --test caching --test lifecycle --test retries --test redaction \
  -- --skip threads_writing_first_in_a_forked_child
echo "tsan: no data race reported"
