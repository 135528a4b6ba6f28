# multiprocessing: the sum of N ones where each worker is sent only a COUNT and makes its
# own ones: almost nothing crosses the process boundary.
# Usage: pool_sum_n.py N WORKERS  -> prints {"seconds": ..., "result": ...} as its last line.
import json
import multiprocessing
import sys
import time


def sum_n(count):
    return sum([1] * count)


if __name__ == "__main__":
    n, workers = int(sys.argv[1]), int(sys.argv[2])
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        pool.map(sum_n, [1] * workers)  # warm: the workers are up before the clock starts
        start = time.perf_counter()
        size = (n + workers - 1) // workers
        counts = [min(size, n - i * size) for i in range(workers)]
        total = sum(pool.map(sum_n, counts))
        seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "result": str(total)}))
