"""sum_compute: the compute kernel (four dependent modular squarings per i, as
concur::kernels::modular_squarings) over [0, N) on T threads, the lecture's threaded split: each
thread sums one contiguous part and reports (index, part) through a queue.Queue.
Usage: sum_compute.py N THREADS -> prints {"seconds": ..., "result": ...} as its last line."""
import json
import queue
import threading
import sys
import time


def timed_split_sum(n, nthreads, part):
    """Sums part(lo, hi) over [0, n) cut into nthreads pieces, one thread each.
    Returns (seconds, total)."""
    def worker(index, lo, hi, results):
        results.put((index, part(lo, hi)))

    t0 = time.perf_counter()
    results = queue.Queue()
    threads = [threading.Thread(target=worker,
                                args=(i, n * i // nthreads, n * (i + 1) // nthreads, results))
               for i in range(nthreads)]
    for t in threads:
        t.start()
    parts = sorted(results.get() for _ in threads)
    for t in threads:
        t.join()
    total = sum(p for _, p in parts)
    return time.perf_counter() - t0, total


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


elapsed, total = timed_split_sum(n, nthreads, kernel)
print(json.dumps({"seconds": elapsed, "result": str(total)}))
