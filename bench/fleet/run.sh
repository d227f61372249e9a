#!/usr/bin/env bash
# make fleet: H hosts x P processes (real processes, examples/fleet.rs) against
# one dev server with short-lived tokens, memory stores vs a file token store
# per host, through a simultaneous start and a 30 s outage (bench/fleet/fleet.py).
# Writes bench/.work/fleet.json (the figures), BENCHMARKS-fleet.png (the picture)
# and the fleet section and goal rows of BENCHMARKS.md (bench/report.py fleet),
# leaving the rest of BENCHMARKS.md as `make bench` wrote it. About 3 minutes.
# Not part of `make test`: it is a heavy run. Loopback only; stops by itself.
#
# Environment (all optional): FLEET_HOSTS (8), FLEET_PROCESSES (8 per host),
# FLEET_TTL (20 s), WI_BENCH_OUT (report path, default BENCHMARKS.md at the
# root; the picture goes next to it), CARGO.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
work=$root/bench/.work
release=$root/target/release
cargo=${CARGO:-cargo}
out=${WI_BENCH_OUT:-$root/BENCHMARKS.md}
started=$(date +%s)

say() { printf 'fleet: %s\n' "$*" >&2; }

mkdir -p "$work"
cd "$root"

say "building the dev server and the fleet process (examples/fleet.rs)"
"$cargo" build --release -p wi-devserver
"$cargo" build --release -p workload-identity --example fleet

say "installing the plotting library into the bench venv"
[ -x "$work/venv/bin/python" ] || python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check -r bench/fleet/requirements.txt
python=$work/venv/bin/python

"$python" bench/fleet/fleet.py run --fleet-binary "$release/examples/fleet" --devserver "$release/wi-devserver" \
  --work "$work/fleet" --out-json "$work/fleet.json" \
  --hosts "${FLEET_HOSTS:-8}" --processes "${FLEET_PROCESSES:-8}" --ttl "${FLEET_TTL:-20}"
"$python" bench/fleet/fleet.py draw --json "$work/fleet.json" --png "$(dirname "$out")/BENCHMARKS-fleet.png"
say "writing $out"
python3 bench/report.py fleet --fleet "$work/fleet.json" --out "$out"
say "done in $(($(date +%s) - started)) s"
