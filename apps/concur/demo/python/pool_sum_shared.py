# multiprocessing: the sum of N ones kept in shared memory; each worker is sent only the
# bounds of its slice and reads the same pages (no copy of the data).
# Usage: pool_sum_shared.py N WORKERS  -> prints {"seconds": ..., "result": ...} as its last line.
import json
import multiprocessing
import sys
import time
from array import array
from multiprocessing.shared_memory import SharedMemory

ones = None  # the shared int64 array, mapped before the workers are forked


def sum_slice(bounds):
    begin, end = bounds
    return sum(ones[begin:end])


if __name__ == "__main__":
    n, workers = int(sys.argv[1]), int(sys.argv[2])
    shm = SharedMemory(create=True, size=max(8, n * 8))
    ones = shm.buf.cast("q")
    ones[:n] = memoryview(array("q", [1]) * n)
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        pool.map(sum_slice, [(0, 0)] * workers)  # warm: the workers are up before the clock starts
        start = time.perf_counter()
        size = (n + workers - 1) // workers
        bounds = [(i * size, min(n, (i + 1) * size)) for i in range(workers)]
        total = sum(pool.map(sum_slice, bounds))
        seconds = time.perf_counter() - start
    ones.release()
    shm.close()
    shm.unlink()
    print(json.dumps({"seconds": seconds, "result": str(total)}))
