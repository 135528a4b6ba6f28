# subprocess: run `echo` and capture what it prints, COUNT times in a row.
# Usage: spawn_echo.py COUNT  -> prints {"seconds": ..., "result": ...} as its last line.
import json
import subprocess
import sys
import time

count = int(sys.argv[1])

start = time.perf_counter()
for i in range(count):
    result = subprocess.run(["echo", "hello", str(i)], capture_output=True, text=True)
seconds = time.perf_counter() - start

print(json.dumps({"seconds": seconds, "result": result.stdout.strip()}))
