#!/bin/sh
# The man pages exist, render, and carry the CLI's own options (they are generated from --help).
# $1: the folder with concur.1, concur-run.1, concur-demo.1   $2: the concur binary
set -eu
dir=$1; concur=$2
for page in concur concur-run concur-demo; do
  [ -s "$dir/$page.1" ] || { echo "FAIL: $dir/$page.1 missing"; exit 1; }
  MANWIDTH=200 man -l "$dir/$page.1" > "$dir/$page.txt" 2>/dev/null
done
grep -q -- "--timeout" "$dir/concur-run.txt" || { echo "FAIL: concur-run(1) lacks --timeout"; exit 1; }
grep -q "EXIT STATUS" "$dir/concur-run.txt" || { echo "FAIL: concur-run(1) lacks EXIT STATUS"; exit 1; }
grep -q -- "--quick" "$dir/concur-demo.txt" || { echo "FAIL: concur-demo(1) lacks --quick"; exit 1; }
version=$("$concur" --version | awk '{print $NF}')
grep -q "$version" "$dir/concur.txt" || { echo "FAIL: concur(1) lacks version $version"; exit 1; }
# Nothing the help lists is missing from the page.
for opt in $("$concur" run --help | grep -oE '(^|[ ,])--[a-z][-a-z0-9]*' | sed -E 's/^[ ,]//' | sort -u); do
  grep -q -- "$opt" "$dir/concur-run.txt" || { echo "FAIL: concur-run(1) lacks $opt"; exit 1; }
done
echo "man pages: ok"
