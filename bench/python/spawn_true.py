"""spawn_true: N x subprocess.run(["/bin/true"]) — the lecture's spawn, timed."""
import subprocess
import sys
import time

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
t0 = time.perf_counter()
for _ in range(n):
    subprocess.run(["/bin/true"], check=True)
print(time.perf_counter() - t0)
