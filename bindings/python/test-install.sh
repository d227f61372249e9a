#!/usr/bin/env bash
# Installs the Python package as a user would, away from the source tree and
# without WI_LIBRARY_PATH:
#   1. `pip wheel` builds the wheel (setuptools-rust runs cargo, which reuses
#      target/ of `make build`); it must be tagged py3-none-<platform>, not
#      purelib, and carry the library;
#   2. a fresh venv in a temporary directory installs it (--no-index: the
#      package has no dependencies) and runs the README's first example
#      against a dev server, loading the bundled library;
#   3. the sdist carries the crate, so that it builds alone;
#   4. with the bundled library removed, Client() raises the one-line
#      ConfigurationError.
#
# Usage: bindings/python/test-install.sh   (needs python3 with setuptools-rust
# and wheel installed, as .ci/run does; cargo; a built target/release)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
unset WI_LIBRARY_PATH
export WI_DEVSERVER=${WI_DEVSERVER:-$root/target/release/wi-devserver}
python=${PYTHON:-python3}

work=$(mktemp -d "${TMPDIR:-/tmp}/wi-python-install.XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() { echo "python test-install: FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

"$python" -c 'import setuptools_rust, wheel' 2>/dev/null \
  || fail "$python lacks the build backend: $python -m pip install setuptools-rust wheel (as .ci/run does)"

step "pip wheel bindings/python"
"$python" -m pip wheel --quiet --no-build-isolation --no-deps --disable-pip-version-check \
  -w "$work/wheels" "$here" >"$work/wheel.log" 2>&1 || { cat "$work/wheel.log"; fail "pip wheel failed"; }
wheel=$(echo "$work"/wheels/workload_identity-*.whl)
[ -f "$wheel" ] || fail "no wheel was built"
case $(basename "$wheel") in
  *-py3-none-linux_$(uname -m).whl) ;;
  *) fail "$(basename "$wheel") is not tagged py3-none-linux_$(uname -m)" ;;
esac
"$python" - "$wheel" <<'EOF' || fail "the wheel's content is wrong"
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
wheel_file = next(name for name in names if name.endswith(".dist-info/WHEEL"))
assert "Root-Is-Purelib: false" in zipfile.ZipFile(sys.argv[1]).read(wheel_file).decode(), "purelib"
assert "workload_identity/libworkload_identity.so" in names, "no library"
EOF
echo "   $(basename "$wheel")"

step "a fresh venv installs the wheel"
"$python" -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --no-index --disable-pip-version-check "$wheel"
site=$("$work/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')

step "the README's example against a dev server"
awk '/^```python$/ { inside = 1; next } inside && /^```$/ { exit } inside' "$here/README.md" >"$work/example.py"
[ -s "$work/example.py" ] || fail "README.md has no python example"
cd "$work"
output=$("$root/bindings/c/with-devserver.sh" "$work/venv/bin/python" example.py 2>&1) \
  || { echo "$output"; fail "the README example failed"; }
echo "$output" | sed 's/^/   /'
grep -q "^access token: 35 characters" <<<"$output" || fail "the example did not print the token's length"
loaded=$("$work/venv/bin/python" -c 'from workload_identity import _locate; print(_locate.load().path)')
[ "$loaded" = "$site/workload_identity/libworkload_identity.so" ] || fail "loaded $loaded, not the bundled library"

step "the sdist carries the crate"
"$python" -m build --sdist --no-isolation --outdir "$work/sdist" "$here" >"$work/sdist.log" 2>&1 \
  || { cat "$work/sdist.log"; fail "the sdist failed"; }
listing=$(tar -tzf "$work"/sdist/workload[-_]identity-*.tar.gz)
for file in setup.py rust/Cargo.toml rust/Cargo.lock rust/build.rs rust/src/lib.rs rust/tools/devserver/Cargo.toml; do
  grep -q "^workload[-_]identity-[^/]*/$file$" <<<"$listing" || fail "the sdist lacks $file"
done

step "no library: one line saying what to do"
rm "$site/workload_identity/libworkload_identity.so"
message=$("$work/venv/bin/python" -c '
from workload_identity import Client, ConfigurationError
try:
    Client()
except ConfigurationError as error:
    print(error)' 2>&1)
echo "   $message"
[ "$(wc -l <<<"$message")" = 1 ] || fail "the message is not one line"
grep -q "^libworkload_identity.so not found: install a workload-identity wheel" <<<"$message" \
  || fail "unexpected message"

echo "python test-install: ok"
