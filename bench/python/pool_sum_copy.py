"""pool_sum_shared / python_pool_copy: sum of N ints over a 2-worker pool, the data copied
to the workers in two parts (the lecture's IPC-cost cell)."""
import multiprocessing as mp
import sys
import time

if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    data = list(range(n))
    parts = [data[: n // 2], data[n // 2:]]
    with mp.get_context("fork").Pool(2) as pool:
        pool.map(sum, [[1]])  # warm
        t0 = time.perf_counter()
        total = sum(pool.map(sum, parts))
        elapsed = time.perf_counter() - t0
    assert total == n * (n - 1) // 2
    print(elapsed)
