#!/usr/bin/env bash
# Tests the release archive and the root README's C quick start as a user
# would meet them, in a temporary directory and without WI_LIBRARY_PATH:
#   1. `make dist`; the archive extracted elsewhere has every file, the
#      SONAME links and a wi that runs;
#   2. the quick start's app.c (taken from README.md) built with pkg-config
#      against the extracted tree, shared (found through the .pc's rpath) and
#      static, runs against a dev server and prints what it got;
#   3. the quick start's commands, exactly as README.md writes them, in a
#      directory laid out like the checkout;
#   4. the C side of bad input, as the linker and loader report it: a library
#      of another architecture is skipped by name at link time; a missing
#      library is the loader's one line.
#
# Usage: bindings/c/test-dist.sh   (needs cc, make, pkg-config, cargo)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
unset WI_LIBRARY_PATH LD_LIBRARY_PATH
export WI_DEVSERVER=${WI_DEVSERVER:-$root/target/release/wi-devserver}
version=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$root/Cargo.toml" | head -n 1)
name=workload-identity-$version-linux-$(uname -m)

work=$(mktemp -d "${TMPDIR:-/tmp}/wi-test-dist.XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() { echo "test-dist: FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

# The fenced block of LANGUAGE that follows the line "## C quick start" in README.md.
quick_start_block() {
  awk -v fence="\`\`\`$1" '/^## C quick start$/ { section = 1 } section && $0 == fence { inside = 1; next }
    inside && /^```$/ { exit } inside' "$root/README.md"
}

run_app() { # run_app BINARY: must print what it got, never the token
  local output
  output=$("$here/with-devserver.sh" "$1" 2>&1) || { echo "$output"; fail "$1 failed"; }
  [ "$output" = "got an access token of 35 bytes (libworkload_identity $version)" ] \
    || { echo "$output"; fail "$1 printed something else"; }
  echo "   $1: $output"
}

step "make dist"
make -s -C "$here" dist DISTDIR="$work/dist" >"$work/dist.log" 2>&1 || { cat "$work/dist.log"; fail "make dist failed"; }
archive=$work/dist/$name.tar.gz
[ -f "$archive" ] || fail "no $name.tar.gz"

step "extracted elsewhere: layout"
mkdir "$work/elsewhere"
tar -C "$work/elsewhere" -xzf "$archive"
tree=$work/elsewhere/$name
for file in include/workload_identity.h lib/libworkload_identity.so.$version lib/libworkload_identity.a \
            lib/pkgconfig/workload-identity.pc lib/pkgconfig/workload-identity-static.pc \
            lib/cmake/WorkloadIdentity/WorkloadIdentityConfig.cmake \
            lib/cmake/WorkloadIdentity/WorkloadIdentityConfigVersion.cmake bin/wi LICENSE INSTALL; do
  [ -f "$tree/$file" ] || fail "the archive lacks $file"
done
[ "$(readlink "$tree/lib/libworkload_identity.so.1")" = "libworkload_identity.so.$version" ] || fail ".so.1 link"
[ "$(readlink "$tree/lib/libworkload_identity.so")" = libworkload_identity.so.1 ] || fail ".so link"
cmp -s "$tree/include/workload_identity.h" "$root/include/workload_identity.h" || fail "the header differs"
"$tree/bin/wi" --help >/dev/null || fail "bin/wi --help failed"

step "the quick start's app.c with pkg-config, shared and static"
quick_start_block c >"$work/app.c"
[ -s "$work/app.c" ] || fail "README.md has no C quick start"
export PKG_CONFIG_PATH=$tree/lib/pkgconfig
[ "$(pkg-config --modversion workload-identity)" = "$version" ] || fail "pkg-config version"
cc -std=c11 -Wall -Wextra -Werror "$work/app.c" $(pkg-config --cflags --libs workload-identity) -o "$work/app"
cc -std=c11 -Wall -Wextra -Werror "$work/app.c" $(pkg-config --cflags --libs workload-identity-static) \
  -o "$work/app-static"
if readelf -d "$work/app-static" | grep -q 'libworkload_identity\.so'; then fail "app-static needs the shared library"; fi
run_app "$work/app"
run_app "$work/app-static"
unset PKG_CONFIG_PATH

step "the quick start's commands as README.md writes them"
mkdir "$work/checkout"
for entry in include target bindings; do ln -s "$root/$entry" "$work/checkout/$entry"; done
cp "$work/app.c" "$work/checkout/app.c"
quick_start_block sh >"$work/quick-start.sh"
grep -q '^cc app.c' "$work/quick-start.sh" || fail "README.md's quick start has no cc line"
output=$(cd "$work/checkout" && bash -e "$work/quick-start.sh" 2>&1) || { echo "$output"; fail "the quick start failed"; }
[ "$output" = "got an access token of 35 bytes (libworkload_identity $version)" ] \
  || { echo "$output"; fail "the quick start printed something else"; }
echo "   $output"

step "bad input: another architecture at link time, no library at run time"
"$root/scripts/make-bad-libraries.sh" "$work/bad"
if cc "$work/app.c" -I"$tree/include" -L"$work/bad/wrong-arch" -lworkload_identity -o "$work/app-wrong" \
     2>"$work/link.log"; then
  fail "linked against a library of another architecture"
fi
grep -q "skipping incompatible $work/bad/wrong-arch/libworkload_identity.so" "$work/link.log" \
  || { cat "$work/link.log"; fail "the linker did not name the library it skipped"; }
echo "   $(grep -m1 'skipping incompatible' "$work/link.log")"
mv "$tree" "$tree.moved"
message=$("$work/app" 2>&1) && fail "app ran without its library"
grep -q "libworkload_identity.so.1: cannot open shared object file" <<<"$message" || fail "unexpected: $message"
echo "   $message"

echo "test-dist: ok"
