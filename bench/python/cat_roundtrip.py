"""cat_roundtrip_256mib: N bytes into `cat` and back with subprocess.run(input=..., capture_output=True)."""
import subprocess
import sys
import time

n = int(sys.argv[1]) if len(sys.argv) > 1 else 256 << 20
data = bytes((97 + i % 23 for i in range(23))) * (n // 23 + 1)
data = data[:n]
t0 = time.perf_counter()
r = subprocess.run(["cat"], input=data, capture_output=True, check=True)
elapsed = time.perf_counter() - t0
assert len(r.stdout) == n
print(elapsed)
