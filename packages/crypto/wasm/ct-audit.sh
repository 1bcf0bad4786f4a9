#!/bin/sh
# Checks that the constant-time building blocks of ristretto.c compiled to WebAssembly without
# any branch or select: every instruction of these functions runs for every input, so neither
# time nor memory access can depend on the secret through them. The callers that loop (the
# window loop, the addition chains of exponentiation, batch loops) branch only on counters that
# do not depend on the scalar; README.md walks through them.
# Usage: sh wasm/ct-audit.sh module.wasm   (a build with its name section, i.e. without --strip-all)
set -eu
OBJDUMP=${OBJDUMP:-llvm-objdump}
if ! command -v "$OBJDUMP" >/dev/null 2>&1; then
  echo "ct-audit: $OBJDUMP not found (Debian: apt-get install -y llvm)" >&2
  exit 1
fi
# Functions that must be straight-line code. If clang inlines one of them, it disappears from
# the listing and the audit says so: then the function it was inlined into is checked instead.
CT_FUNCTIONS="fe_mul fe_sq fe_tobytes2 fe_iszero fe_frombytes2 select_cached ge_dbl ge_add ge_p3_to_cached"
"$OBJDUMP" -d "$1" | awk -v wanted="$CT_FUNCTIONS" '
  BEGIN { n = split(wanted, list, " "); for (i = 1; i <= n; i++) ct[list[i]] = 1 }
  /^[0-9a-f]+ <[^>]*>:$/ { name = substr($2, 2, length($2) - 3); seen[name] = 1; next }
  name in ct {
    if (match($0, /\t(br|br_if|br_table|if|select|loop|return_call|call_indirect)( |\t|$)/)) {
      op = substr($0, RSTART + 1, RLENGTH - 1); gsub(/[ \t]/, "", op)
      bad[name] = bad[name] " " op
    }
  }
  END {
    status = 0
    for (f in ct) {
      if (!(f in seen)) { printf "ct-audit: %s is not a separate function in this build (inlined?)\n", f; status = 1 }
      else if (f in bad) { printf "ct-audit: %s contains control flow:%s\n", f, bad[f]; status = 1 }
    }
    if (status == 0) printf "ct-audit: %d constant-time functions contain no branch, loop or select\n", n
    exit status
  }'
