"""as_completed_10k: N tasks on a 2-worker ThreadPoolExecutor, drained through as_completed.

Each task steps a 64-bit LCG k times, k drawn in [0, KMAX] from a fixed-seed LCG: the same
work, in the same order, as concur's twin (bench/scenarios/futures_as_completed.cpp).
"""
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
kmax = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
MASK = (1 << 64) - 1
A, C = 6364136223846793005, 1442695040888963407


def work(k):
    x = k
    for _ in range(k):
        x = (x * A + C) & MASK
    return x


seed = 12345
ks = []
for _ in range(n):
    seed = (seed * A + C) & MASK
    ks.append((seed >> 33) % (kmax + 1))

with ThreadPoolExecutor(2) as pool:
    pool.submit(work, 0).result()  # threads started before timing
    t0 = time.perf_counter()
    fs = [pool.submit(work, k) for k in ks]
    total = 0
    for f in as_completed(fs):
        total = (total + f.result()) & MASK
    elapsed = time.perf_counter() - t0
print(elapsed)
