"""sum_compute: the compute kernel (four dependent modular squarings per i) on T threads."""
import queue
import sys
import threading
import time

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
nthreads = int(sys.argv[2]) if len(sys.argv) > 2 else 1


def kernel(lo, hi):
    s = 0
    for i in range(lo, hi):
        x = i
        for _ in range(4):
            x = (x * x + 1) % 1000003
        s += x
    return s


def worker(index, lo, hi, results):
    results.put((index, kernel(lo, hi)))


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
print(elapsed)
