# multiprocessing: the sum of N ones, split into WORKERS parts that are SENT to the workers
# (each part is pickled, written through a pipe and unpickled: the IPC cost).
# Usage: pool_sum_copy.py N WORKERS  -> prints {"seconds": ..., "result": ...} as its last line.
import json
import multiprocessing
import sys
import time


def sum_part(part):
    return sum(part)


if __name__ == "__main__":
    n, workers = int(sys.argv[1]), int(sys.argv[2])
    data = [1] * n
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        size = (n + workers - 1) // workers
        parts = [data[i * size:(i + 1) * size] for i in range(workers)]
        pool.map(sum_part, parts)  # warm: as the C++ side (and the bench) time it
        start = time.perf_counter()
        total = sum(pool.map(sum_part, parts))
        seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "result": str(total)}))
