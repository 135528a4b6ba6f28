#!/bin/sh
# clang's -Wthread-safety over code using concur's locks: good.cpp (every guarded field accessed
# under its lock) must compile; bad.cpp (a write without the lock) must be rejected for exactly
# that reason; and the library's own annotated sources (the Thread state and registry: their
# fields are CONCUR_GUARDED_BY their Lock) must pass the analysis (src/threading/*.cpp given
# after the include directory). Skipped (77) where clang++ is not installed.
set -u
include_dir=$1
here=$(dirname "$0")
cxx=$(command -v clang++ || command -v clang++-14 || true)
[ -n "$cxx" ] || { echo "clang++ not installed: skipped"; exit 77; }
flags="-std=c++20 -fsyntax-only -Wthread-safety -Werror -I$include_dir"
# shellcheck disable=SC2086
if ! "$cxx" $flags "$here/good.cpp"; then
  echo "FAIL: good.cpp was rejected"; exit 1
fi
# shellcheck disable=SC2086
out=$("$cxx" $flags "$here/bad.cpp" 2>&1) && { echo "FAIL: bad.cpp compiled"; exit 1; }
echo "$out" | grep -q "writing variable 'balance_' requires holding mutex 'lock_'" ||
  { echo "FAIL: bad.cpp rejected for another reason:"; echo "$out"; exit 1; }
shift
for src in "$@"; do
  # shellcheck disable=SC2086
  "$cxx" $flags -I"$(dirname "$src")" "$src" || { echo "FAIL: $src breaks the analysis"; exit 1; }
done
echo "ok: the analysis accepts good.cpp and the library's annotated sources, rejects bad.cpp"
