"""sum_memory: sum of N ones with T threads reporting through a queue.Queue (the lecture's code)."""
import queue
import sys
import threading
import time

n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
nthreads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
data = [1] * n


def worker(index, lo, hi, results):
    results.put((index, sum(data[lo:hi])))


t0 = time.perf_counter()
results = queue.Queue()
threads = [threading.Thread(target=worker, args=(i, n * i // nthreads, n * (i + 1) // nthreads, results))
           for i in range(nthreads)]
for t in threads:
    t.start()
parts = sorted(results.get() for _ in threads)
for t in threads:
    t.join()
total = sum(p for _, p in parts)
elapsed = time.perf_counter() - t0
assert total == n
print(elapsed)
