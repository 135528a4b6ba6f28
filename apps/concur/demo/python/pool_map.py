# multiprocessing: Pool.map of x * 2 over range(N) on 2 worker processes, pool start-up
# included (the lecture's `with Pool(2) as p: p.map(...)`).
# Usage: pool_map.py N  -> prints {"seconds": ..., "result": ...} as its last line.
import json
import multiprocessing
import sys
import time


def double(x):
    return x * 2


if __name__ == "__main__":
    n = int(sys.argv[1])
    # fork, as Linux's default up to Python 3.13: this script is fed through `python3 -c`.
    context = multiprocessing.get_context("fork")
    start = time.perf_counter()
    with context.Pool(2) as pool:
        doubled = pool.map(double, range(n))
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "result": str(sum(doubled))}))
