#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for SECONDS each (default 60), one at a time,
# then minimizes each corpus and keeps at most FUZZ_CORPUS_MAX inputs (default
# 50, each under 4 KiB) so that the committed corpus stays small; the unit test
# `fuzzing::tests::corpus_replay` replays it. Not part of `make test`; needs the
# nightly toolchain and python3, and installs cargo-fuzz from crates.io if it
# is missing.
#
# Usage: scripts/fuzz.sh [seconds]
# A crash stops the script; libFuzzer prints the reproducer's path
# (fuzz/artifacts/<target>/...). Replay one with:
#   cargo +nightly fuzz run <target> fuzz/artifacts/<target>/<file>
# Reproducers committed as fuzz/corpus/<target>/regression-* and hand-written
# seeds committed as fuzz/corpus/<target>/seed-* are always kept (not counted
# in FUZZ_CORPUS_MAX).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-60}
max_files=${FUZZ_CORPUS_MAX:-50}
targets="token_response outbound_response options c_entry_points oauth_response store_entry
  skill_env_response skill_env_config"
libfuzzer_limits="-max_len=4096 -timeout=10 -rss_limit_mb=2048"

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

cargo +nightly fuzz build
for target in $targets; do
  echo "== fuzzing $target for ${seconds}s"
  mkdir -p "corpus/$target"
  # shellcheck disable=SC2086 # the limits are separate words
  cargo +nightly fuzz run "$target" -- -max_total_time="$seconds" $libfuzzer_limits \
    -print_final_stats=1
done

# Minimize by edge coverage (hit counts ignored) with a greedy set cover, drop
# inputs of 4 KiB or more, then keep the max_files inputs that cover most.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for target in $targets; do
  echo "== minimizing corpus/$target"
  corpus=$PWD/corpus/$target
  mkdir -p "$scratch/$target/kept" "$scratch/$target/merged"
  find "$corpus" -maxdepth 1 \( -name 'regression-*' -o -name 'seed-*' \) \
    -exec mv -t "$scratch/$target/kept" {} +
  # shellcheck disable=SC2086
  cargo +nightly fuzz cmin "$target" -- -set_cover_merge=1 -use_counters=0 $libfuzzer_limits
  find "$corpus" -type f -size +4095c -delete
  # shellcheck disable=SC2086
  cargo +nightly fuzz run "$target" "$scratch/$target/merged" "$corpus" -- \
    -set_cover_merge=1 -use_counters=0 $libfuzzer_limits \
    -merge_control_file="$scratch/$target/control"
  python3 trim_corpus.py "$scratch/$target/control" "$max_files"
  find "$scratch/$target/kept" -type f -exec mv -t "$corpus" {} +
  echo "corpus/$target: $(find "$corpus" -type f | wc -l) files"
done
