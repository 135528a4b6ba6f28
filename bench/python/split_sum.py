"""The lecture's threaded sum, shared by sum_memory.py and sum_compute.py: T threads each sum
one contiguous part and report (index, part) through a queue.Queue; parts are combined in index
order."""
import queue
import threading
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
