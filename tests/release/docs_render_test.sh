#!/bin/sh
# The API reference renders in a browser and lists the library's classes: headless Chromium
# loads the class index and the DOM it builds must name them (a screenshot is no assertion).
# $1: the html folder
set -eu
html=$1
[ -f "$html/index.html" ] || { echo "FAIL: $html/index.html missing"; exit 1; }
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "FAIL: chromium not installed (scripts/install-deps test)"; exit 1; }
dom=$(mktemp)
trap 'rm -f "$dom"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --virtual-time-budget=5000 \
  --dump-dom "file://$html/annotated.html" > "$dom" 2>/dev/null
fails=0
for cls in subprocess::Popen subprocess::CompletedProcess threading::Thread threading::Lock \
           threading::Barrier queue::Queue futures::ThreadPoolExecutor futures::Future \
           multiprocessing::Pool multiprocessing::SharedMemory; do
  name=${cls##*::}
  grep -q ">$name<" "$dom" || { echo "FAIL: the class index lacks $cls"; fails=$((fails + 1)); }
done
"$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --virtual-time-budget=5000 \
  --dump-dom "file://$html/index.html" > "$dom" 2>/dev/null
grep -q "concur" "$dom" || { echo "FAIL: the main page (README) did not render"; fails=$((fails + 1)); }
[ "$fails" -eq 0 ] && echo "docs render: ok"
exit "$fails"
