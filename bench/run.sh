#!/usr/bin/env bash
# make bench: builds what the benchmarks need, installs the peers from their
# registries (the Coze Python SDK into a venv under bench/.work/, Go's
# golang.org/x/oauth2 through bench/go/go.mod), starts one dev server on
# 127.0.0.1, runs every section side by side, and writes BENCHMARKS.md at the
# repository root (bench/report.py). Prints figures; asserts nothing on speed.
#
# The timed sections (cached calls, scaling) run in WI_BENCH_PASSES passes,
# each a new process per language, and the report pools their rounds: on a
# shared VM a whole process sometimes runs ~30% slower, floors included.
#
# Environment (all optional): WI_BENCH_PASSES (default 3), WI_BENCH_ROUNDS
# (rounds per timed row and pass, default 11; scaling takes half as many),
# WI_BENCH_ROUND_MS (target length of one round, default 40),
# WI_BENCH_COLD_ROUNDS (cold fetches per path, default 100), WI_BENCH_OUT
# (report path, default BENCHMARKS.md at the root), CARGO, CC.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=$root/bench/.work
release=$root/target/release
results=$work/results.jsonl
started=$(date +%s)
passes=${WI_BENCH_PASSES:-3}
export WI_BENCH_ROUNDS=${WI_BENCH_ROUNDS:-11}
export WI_BENCH_ROUND_MS=${WI_BENCH_ROUND_MS:-40}
export WI_BENCH_COLD_ROUNDS=${WI_BENCH_COLD_ROUNDS:-100}
cargo=${CARGO:-cargo}
cc=${CC:-cc}

say() { printf 'bench: %s\n' "$*" >&2; }

mkdir -p "$work"
cd "$root"

say "building the library and the dev server"
"$cargo" build --release -p workload-identity -p wi-devserver
ln -sf libworkload_identity.so "$release/libworkload_identity.so.1"

say "building bench/rust and bench/c"
# Same target directory as the root build: the dependencies are built once.
CARGO_TARGET_DIR=$root/target "$cargo" build --release --manifest-path bench/rust/Cargo.toml
"$cc" -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -pthread -Iinclude bench/c/*.c \
  -L"$release" -lworkload_identity -Wl,-rpath,"$release" -o "$work/c-bench"

say "installing the peers"
[ -x "$work/venv/bin/python" ] || python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check -r bench/python/requirements.txt
[ -d bindings/node/node_modules/koffi ] || (cd bindings/node && npm ci --no-audit --no-fund)
(cd bench/go && go mod download && go test -count=1 -tags wi_intree -run '^$' -bench '^$' . >/dev/null)
python=$work/venv/bin/python

say "starting the dev server"
rm -f "$work/devserver.port"
"$release/wi-devserver" --port 0 --port-file "$work/devserver.port" >/dev/null &
devserver=$!
trap 'kill "$devserver" 2>/dev/null; wait "$devserver" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  [ -s "$work/devserver.port" ] && break
  kill -0 "$devserver" 2>/dev/null || { say "the dev server exited"; exit 1; }
  sleep 0.05
done
[ -s "$work/devserver.port" ] || { say "the dev server did not start"; exit 1; }
export WI_BENCH_URL="http://127.0.0.1:$(cat "$work/devserver.port")"
export WI_LIBRARY_PATH=$release/libworkload_identity.so

: >"$results"
run() { # run SECTION-LABEL COMMAND...: appends the command's records to the results
  say "$1"
  shift
  "$@" | grep '^{' >>"$results"
}

for pass in $(seq "$passes"); do
  run "pass $pass/$passes, cached: C ABI" "$work/c-bench" cached
  run "pass $pass/$passes, cached: Rust API" "$release/wi-bench" cached
  run "pass $pass/$passes, cached: Go binding, oauth2, Go floor" bash -c "cd bench/go && go test -tags wi_intree \
    -count=$WI_BENCH_ROUNDS -run '^\$' -bench '^BenchmarkCached' -benchtime=100ms -benchmem . \
    | '$python' ../report.py go-records"
  run "pass $pass/$passes, cached: Node binding" node bench/node/bench.mjs
  run "pass $pass/$passes, cached: Python binding, Coze SDK" "$python" bench/python/bench.py cached
  run "pass $pass/$passes, scaling: C ABI" "$work/c-bench" scaling
  run "pass $pass/$passes, scaling: Rust API" "$release/wi-bench" scaling
done
run "cold: library, ureq direct" "$release/wi-bench" cold
run "cold: Python binding, Coze SDK" "$python" bench/python/bench.py cold
run "introspection: library, positive-answer cache, ureq direct" "$release/wi-bench" introspect
run "herd: library" "$release/wi-bench" herd
run "herd: Go binding, oauth2" bash -c "cd bench/go && go test -tags wi_intree -count=1 -run '^TestHerd\$' -v ."
run "herd: Python binding, Coze SDK" "$python" bench/python/bench.py herd
run "footprint: RSS per client" "$release/wi-bench" footprint
run "footprint: allocations per call" "$release/wi-bench" allocs

out=${WI_BENCH_OUT:-$root/BENCHMARKS.md}
say "writing $out"
python3 bench/report.py write --results "$results" --out "$out" --root "$root" --python "$python" \
  --passes "$passes" --seconds "$(($(date +%s) - started))"
say "done in $(($(date +%s) - started)) s"
