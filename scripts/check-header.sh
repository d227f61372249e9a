#!/usr/bin/env bash
# Checks the committed header against the built library: every exported wi_*
# symbol is declared, the header compiles alone as C and as C++, every
# declared item carries a doc comment, and the Go module's copy is identical.
set -euo pipefail
cd "$(dirname "$0")/.."
header=include/workload_identity.h
lib=${WI_LIBRARY_PATH:-target/release/libworkload_identity.so}

missing=0
for symbol in $(nm -D --defined-only "$lib" | awk '$3 ~ /^wi_/ {print $3}'); do
  if ! grep -Eq "[ *]$symbol\(" "$header"; then
    echo "exported symbol $symbol is not declared in $header"; missing=1
  fi
done
[ "$missing" = 0 ]

cmp -s "$header" bindings/go/workload_identity.h \
  || { echo "bindings/go/workload_identity.h differs from $header: make build copies it"; exit 1; }

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf '#include "workload_identity.h"\nint main(void) { return wi_version() == 0; }\n' > "$tmp/alone.c"
gcc -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude -c "$tmp/alone.c" -o "$tmp/alone_c.o"
g++ -std=c++11 -Wall -Wextra -Werror -Iinclude -x c++ -c "$tmp/alone.c" -o "$tmp/alone_cpp.o"

# Each declaration (function, typedef, enumerator block, #define WI_*) must be
# preceded by the end of a doc comment.
undocumented=$(awk '
  /\*\/[[:space:]]*$/ { documented = 1; next }
  /^typedef (enum wi_status|uint32_t) wi_status;/ { next }
  /^(wi_status|void|const char|uint16_t|bool|wi_options|typedef|enum wi_status|#define (WI_LOG|WI_VERSION_MAJOR))/ {
    if (!documented) print FILENAME ":" FNR ": " $0
  }
  /[^[:space:]]/ { documented = 0 }
' "$header")
if [ -n "$undocumented" ]; then echo "undocumented header items:"; echo "$undocumented"; exit 1; fi
echo "header check: ok"
