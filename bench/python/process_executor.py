"""process_executor_map / process_executor_roundtrip on a warm 2-worker ProcessPoolExecutor.

map:       list(pool.map(twice, range(N), chunksize=1000)), N = 10^5 (argv[2])
roundtrip: N x pool.submit(twice, i).result(), one at a time, N = 1000 (argv[2])
"""
import multiprocessing as mp
import sys
import time
from concurrent.futures import ProcessPoolExecutor


def twice(x):
    return x * 2


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "map"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else (100_000 if what == "map" else 1000)
    with ProcessPoolExecutor(2, mp_context=mp.get_context("fork")) as pool:
        list(pool.map(twice, range(100), chunksize=10))  # both workers started and warm
        t0 = time.perf_counter()
        if what == "map":
            out = list(pool.map(twice, range(n), chunksize=1000))
            assert out[-1] == 2 * (n - 1)
        else:
            for i in range(n):
                assert pool.submit(twice, i).result() == 2 * i
        elapsed = time.perf_counter() - t0
    print(elapsed)
