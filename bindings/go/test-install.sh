#!/usr/bin/env bash
# Uses the Go module as README.md tells a new user to, in a temporary
# directory and without WI_LIBRARY_PATH:
#   1. an installed prefix: the release archive of `make dist`, extracted;
#   2. a read-only copy of bindings/go alone (as in the module cache), which a
#      fresh module requires through `replace`, with example/main.go as its
#      program;
#   3. built in the default mode (pkg-config), with -tags wi_static and with
#      -tags wi_system, each run against a dev server;
#   4. bad input: no pkg-config file, an older library at run time (the
#      package's message), no cgo, a library of another architecture at link
#      time and none at run time (the linker's and loader's messages).
#
# Usage: bindings/go/test-install.sh   (needs go, cc, make, pkg-config, cargo;
# golang.org/x/oauth2 in the module cache, as `go mod download` here leaves it)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
unset WI_LIBRARY_PATH LD_LIBRARY_PATH PKG_CONFIG_PATH
export WI_DEVSERVER=${WI_DEVSERVER:-$root/target/release/wi-devserver}
module=github.com/workload-identity/workload-identity/bindings/go
version=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$root/Cargo.toml" | head -n 1)
name=workload-identity-$version-linux-$(uname -m)

work=$(mktemp -d "${TMPDIR:-/tmp}/wi-go-install.XXXXXX")
trap 'chmod -R u+w "$work"; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

fail() { echo "go test-install: FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

run_app() { # run_app BINARY [ENV=VALUE...]
  local binary=$1 output
  shift
  output=$(env "$@" "$root/bindings/c/with-devserver.sh" "$binary" 2>&1) || { echo "$output"; fail "$binary failed"; }
  grep -q "^library $version: got an access token of 35 bytes$" <<<"$output" || { echo "$output"; fail "$binary"; }
  grep -q "^project variable DATABASE_URL" <<<"$output" || { echo "$output"; fail "$binary: no project variables"; }
  echo "   $(basename "$binary"): $(head -n 1 <<<"$output")"
}

step "an installed prefix: the release archive, extracted"
make -s -C "$root/bindings/c" dist DISTDIR="$work/dist" >"$work/dist.log" 2>&1 || { cat "$work/dist.log"; fail "make dist"; }
mkdir "$work/opt" && tar -C "$work/opt" -xzf "$work/dist/$name.tar.gz"
prefix=$work/opt/$name

step "a read-only copy of bindings/go alone, required through replace"
cp -r "$here" "$work/wigo"
chmod -R a-w "$work/wigo"
mkdir "$work/app"
cp "$here/example/main.go" "$work/app/main.go"
(
  cd "$work/app"
  go mod init example.com/app >/dev/null 2>&1
  go mod edit -require="$module@v0.0.0" -replace="$module=$work/wigo"
  go mod tidy >/dev/null 2>&1 || go mod tidy
)

# First, while no build of this copy is cached: Go's build cache does not
# see pkg-config's output, so a cached package would hide the failure.
step "no pkg-config file: pkg-config's message"
message=$(cd "$work/app" && go build -o /dev/null . 2>&1) && fail "built without workload-identity.pc"
grep -q "Package workload-identity was not found in the pkg-config search path" <<<"$message" \
  || fail "unexpected: $message"
echo "   no workload-identity.pc: $(grep -m1 'was not found' <<<"$message")"

step "default mode: pkg-config, the library found at run time through the rpath"
(cd "$work/app" && PKG_CONFIG_PATH=$prefix/lib/pkgconfig go build -o app-shared .)
readelf -d "$work/app/app-shared" | grep -q "RUNPATH.*$prefix" || fail "app-shared has no rpath to $prefix/lib"
run_app "$work/app/app-shared"

step "-tags wi_static: no libworkload_identity at run time"
(cd "$work/app" && PKG_CONFIG_PATH=$prefix/lib/pkgconfig go build -tags wi_static -o app-static .)
if readelf -d "$work/app/app-static" | grep -q 'libworkload_identity\.so'; then fail "app-static needs the shared library"; fi
run_app "$work/app/app-static"

step "-tags wi_system: no pkg-config, the linker's and loader's paths"
(cd "$work/app" && LIBRARY_PATH=$prefix/lib go build -tags wi_system -o app-system .)
run_app "$work/app/app-system" LD_LIBRARY_PATH="$prefix/lib"

step "bad input"
"$root/scripts/make-bad-libraries.sh" "$work/bad"
message=$(LD_LIBRARY_PATH=$work/bad/old "$work/app/app-shared" 2>&1) && fail "ran with an older library"
expected="workloadidentity: $work/bad/old/libworkload_identity.so.1 is libworkload_identity 0.0.9, older than $version"
grep -qF "$expected" <<<"$message" || fail "unexpected: $message"
echo "   older library: $message"
message=$(cd "$work/app" && CGO_ENABLED=0 go build -o /dev/null . 2>&1) && fail "built without cgo"
grep -q "workloadidentity needs cgo: build with CGO_ENABLED=1 and a C compiler" <<<"$message" \
  || fail "unexpected: $message"
echo "   CGO_ENABLED=0: $(grep -m1 'needs cgo' <<<"$message" | cut -c1-110)..."

message=$(cd "$work/app" && LIBRARY_PATH=$work/bad/wrong-arch go build -tags wi_system -o /dev/null . 2>&1) \
  && fail "linked a library of another architecture"
grep -q "skipping incompatible $work/bad/wrong-arch/libworkload_identity.so" <<<"$message" || fail "unexpected: $message"
echo "   another architecture: $(grep -m1 -o 'skipping incompatible.*' <<<"$message")"
mv "$prefix" "$prefix.moved"
message=$("$work/app/app-shared" 2>&1) && fail "ran without its library"
grep -q "libworkload_identity.so.1: cannot open shared object file" <<<"$message" || fail "unexpected: $message"
echo "   no library: $message"

echo "go test-install: ok"
