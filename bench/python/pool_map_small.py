"""pool_map_small: map(x * 2) over 10^5 ints on a warm 2-worker pool (the lecture's Pool.map)."""
import multiprocessing as mp
import time


def twice(x):
    return x * 2


if __name__ == "__main__":
    with mp.get_context("fork").Pool(2) as pool:
        pool.map(twice, range(10))  # warm
        t0 = time.perf_counter()
        pool.map(twice, range(100_000))
        elapsed = time.perf_counter() - t0
    print(elapsed)
