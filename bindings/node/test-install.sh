#!/usr/bin/env bash
# Installs the npm packages as a user would, in fresh projects in a temporary
# directory and without WI_LIBRARY_PATH:
#   1. `make pack` writes the main and the platform tarball into dist/;
#   2. a fresh project installs both (what a registry install does) and runs
#      example.mjs against a dev server, loading the platform package's
#      library;
#   3. a fresh project installs the folder (`npm install <path>`, a link) and
#      runs it too (koffi from the folder, the library from target/release);
#   4. with the platform package removed, the example prints the one-line
#      ConfigurationError.
# npm runs with --prefer-offline: koffi comes from npm's cache once `npm ci`
# has run here.
#
# Usage: bindings/node/test-install.sh   (needs node, npm, cargo)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
unset WI_LIBRARY_PATH
export WI_DEVSERVER=${WI_DEVSERVER:-$root/target/release/wi-devserver}

work=$(mktemp -d "${TMPDIR:-/tmp}/wi-node-install.XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() { echo "node test-install: FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }
npm_install() { npm install --prefer-offline --no-audit --no-fund --loglevel=error "$@" >/dev/null; }

# The library a running example loaded: its libworkload_identity mapping.
loaded_library() {
  node --input-type=module -e "
    import { readFileSync } from 'node:fs';
    import { Client } from '@workload-identity/node';
    new Client({ clientId: 'x', clientSecret: 'y', tokenEndpoint: 'http://127.0.0.1:9/t',
                 accessTokenEndpoint: 'http://127.0.0.1:9/a' }).close();
    console.log(/\/\S*\/libworkload_identity\S*$/m.exec(readFileSync('/proc/self/maps', 'utf8'))[0]);"
}

run_example() { # run_example PROJECT: example.mjs must succeed
  cp "$here/example.mjs" "$1/"
  local output
  output=$(cd "$1" && "$root/bindings/c/with-devserver.sh" node example.mjs 2>&1) \
    || { echo "$output"; fail "example.mjs failed in $1"; }
  grep -q "^access token: 35 characters" <<<"$output" || { echo "$output"; fail "unexpected output"; }
  echo "$output" | head -n 5 | sed 's/^/   /'
}

step "make -C bindings/node pack"
make -s -C "$here" pack >"$work/pack.log" 2>&1 || { cat "$work/pack.log"; fail "make pack failed"; }
main=$(echo "$here"/dist/workload-identity-node-[0-9]*.tgz)
platform_tarball=$(echo "$here"/dist/workload-identity-node-*-*-[0-9]*.tgz)
[ -f "$main" ] && [ -f "$platform_tarball" ] || fail "pack did not write both tarballs"
echo "   $(basename "$main") $(basename "$platform_tarball")"
platform=$(tar -xzOf "$platform_tarball" package/package.json | node -p 'JSON.parse(require("fs").readFileSync(0)).name')

step "a fresh project installs both tarballs"
mkdir "$work/app" && (cd "$work/app" && npm init -y >/dev/null && npm_install "$main" "$platform_tarball")
run_example "$work/app"
loaded=$(cd "$work/app" && loaded_library)
[ "$loaded" = "$work/app/node_modules/$platform/libworkload_identity.so" ] || fail "loaded $loaded, not $platform's"

step "a fresh project installs the folder (npm install <path>)"
mkdir "$work/linked" && (cd "$work/linked" && npm init -y >/dev/null && npm_install "$here")
run_example "$work/linked"

step "no library: one line saying what to do"
rm -rf "$work/app/node_modules/$platform"
message=$(cd "$work/app" && node example.mjs 2>&1) && fail "example.mjs succeeded without a library"
echo "   $message"
[ "$(wc -l <<<"$message")" = 1 ] || fail "the message is not one line"
grep -q "^ConfigurationError (HTTP 0, retryable: false): libworkload_identity.so not found: install $platform" \
  <<<"$message" || fail "unexpected message"

echo "node test-install: ok"
