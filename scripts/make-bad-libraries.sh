#!/usr/bin/env bash
# Makes the unusable libraries that the bindings' tests must refuse at load,
# each as DIR/<case>/libworkload_identity.so with its SONAME link .so.1:
#   wrong-arch  the real library with its ELF header saying aarch64 (x86_64 on
#               an aarch64 host): what a package for another machine holds
#   old         a library whose wi_version() is 0.0.9, older than any binding
#   lacking     today's version, but no function besides wi_version
#
# Usage: scripts/make-bad-libraries.sh DIR   (the real library: $WI_LIBRARY_PATH,
# else target/release/libworkload_identity.so; needs cc)
set -euo pipefail

out=${1:?usage: $0 DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
library=${WI_LIBRARY_PATH:-$root/target/release/libworkload_identity.so}
version=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$root/Cargo.toml" | head -n 1)

stub() { # stub CASE VERSION: a library with wi_version() alone
  mkdir -p "$out/$1"
  printf 'const char *wi_version(void) { return "%s"; }\n' "$2" >"$out/$1/stub.c"
  "${CC:-cc}" -shared -fPIC -Wl,-soname,libworkload_identity.so.1 "$out/$1/stub.c" \
    -o "$out/$1/libworkload_identity.so"
  rm "$out/$1/stub.c"
  ln -sf libworkload_identity.so "$out/$1/libworkload_identity.so.1"
}
stub old 0.0.9
stub lacking "$version"

mkdir -p "$out/wrong-arch"
cp "$library" "$out/wrong-arch/libworkload_identity.so"
# e_machine, little-endian, at offset 18: 183 = aarch64, 62 = x86_64.
if [ "$(uname -m)" = aarch64 ]; then machine='\x3e\x00'; else machine='\xb7\x00'; fi
printf "$machine" | dd of="$out/wrong-arch/libworkload_identity.so" bs=1 seek=18 conv=notrunc status=none
ln -sf libworkload_identity.so "$out/wrong-arch/libworkload_identity.so.1"
