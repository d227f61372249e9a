#!/usr/bin/env bash
# Tests the installed C package as a user would consume it: `make install` into
# a temporary prefix, then builds examples/demo.c against that prefix with
# pkg-config (shared and --static) and with CMake (both imported targets),
# runs every binary against a local dev server, and removes everything.
#
# Usage: bindings/c/test-install.sh   (needs cc, make, pkg-config, cmake, readelf)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
version=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$root/Cargo.toml" | head -n 1)

work=$(mktemp -d "${TMPDIR:-/tmp}/wi-test-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

fail() { echo "test-install: FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

step "make install PREFIX=$prefix"
make -s -C "$here" install PREFIX="$prefix" >/dev/null

step "installed layout"
lib=$prefix/lib
for file in include/workload_identity.h lib/libworkload_identity.so.$version lib/libworkload_identity.a \
            lib/pkgconfig/workload-identity.pc lib/pkgconfig/workload-identity-static.pc \
            lib/cmake/WorkloadIdentity/WorkloadIdentityConfig.cmake \
            lib/cmake/WorkloadIdentity/WorkloadIdentityConfigVersion.cmake; do
  [ -f "$prefix/$file" ] || fail "$file is not installed"
done
soname=$(readelf -d "$lib/libworkload_identity.so.$version" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = libworkload_identity.so.1 ] || fail "unexpected SONAME '$soname'"
[ "$(readlink "$lib/$soname")" = "libworkload_identity.so.$version" ] || fail "$soname does not point to the library"
[ "$(readlink "$lib/libworkload_identity.so")" = "$soname" ] || fail "libworkload_identity.so does not point to $soname"

step "pkg-config"
export PKG_CONFIG_PATH=$lib/pkgconfig
[ "$(pkg-config --modversion workload-identity)" = "$version" ] || fail "pkg-config version is not $version"
[[ "$(pkg-config --static --libs workload-identity)" == *-lpthread* ]] || fail "Libs.private is missing from --static"
[[ "$(pkg-config --libs workload-identity)" == *-Wl,-rpath,$lib* ]] || fail "Libs has no rpath to $lib"
[[ "$(pkg-config --libs workload-identity-static)" == "$lib/libworkload_identity.a "*-lpthread* ]] \
  || fail "workload-identity-static.pc does not name the archive"

# Each binary is run against its own dev server and must succeed, its output
# must show the cached second call, and it must never print a whole token.
run_demo() {
  local output
  output=$("$here/with-devserver.sh" "$@") || { echo "$output"; fail "$1 failed"; }
  grep -q "from the cache" <<<"$output" || { echo "$output"; fail "$1: the second token did not come from the cache"; }
  if grep -Eq 'at_[0-9a-f]{32}' <<<"$output"; then fail "$1 printed a whole token"; fi
  echo "   $1: ok"
}

# The static binaries must not need the shared library.
check_static() {
  if readelf -d "$1" | grep -q 'libworkload_identity\.so'; then fail "$1 needs the shared library"; fi
}

step "examples built with pkg-config (shared and --static)"
make -s -C "$here/examples" BUILD="$work/pkg-config" >/dev/null
check_static "$work/pkg-config/demo-static"
run_demo "$work/pkg-config/demo" # found through the rpath of workload-identity.pc
run_demo "$work/pkg-config/demo-static"

step "examples built with CMake (WorkloadIdentity::workload_identity and _static)"
cmake -S "$here/examples" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" \
  -DWORKLOAD_IDENTITY_VERSION="$version" >/dev/null
cmake --build "$work/cmake" >/dev/null
check_static "$work/cmake/demo-static"
run_demo "$work/cmake/demo" # found through the rpath CMake set
run_demo "$work/cmake/demo-static"

step "CMake refuses an incompatible version"
if cmake -S "$here/examples" -B "$work/cmake-incompatible" -DCMAKE_PREFIX_PATH="$prefix" \
     -DWORKLOAD_IDENTITY_VERSION=99.0 >/dev/null 2>&1; then
  fail "find_package(WorkloadIdentity 99.0) succeeded"
fi

step "make uninstall"
make -s -C "$here" uninstall PREFIX="$prefix" >/dev/null
leftover=$(find "$prefix" -type f -o -type l)
[ -z "$leftover" ] || fail "uninstall left: $leftover"

echo "test-install: ok"
