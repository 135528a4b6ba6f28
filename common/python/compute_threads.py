# threading on CPU-bound work: a pseudo-random generator stepped N times in all, split over
# THREADS threads. Under the GIL only one thread runs Python code at a time, so more threads
# do not make it faster.
# Usage: compute_threads.py N THREADS  -> prints {"seconds": ..., "result": ...} as its last line.
import json
import sys
import time
from threading import Thread

n, threads_count = int(sys.argv[1]), int(sys.argv[2])
results = [0] * threads_count


def kernel(index, steps):
    x = index + 1
    for _ in range(steps):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
    results[index] = x


start = time.perf_counter()
threads = [Thread(target=kernel, args=(i, n // threads_count)) for i in range(threads_count)]
for t in threads:
    t.start()
for t in threads:
    t.join()
seconds = time.perf_counter() - start

print(json.dumps({"seconds": seconds, "result": str(sum(results))}))
