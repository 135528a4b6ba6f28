"""pool_startup: Pool(2) created until its first result (start method: argv[1])."""
import multiprocessing as mp
import sys
import time


def twice(x):
    return x * 2


if __name__ == "__main__":
    method = sys.argv[1] if len(sys.argv) > 1 else "fork"
    ctx = mp.get_context(method)
    t0 = time.perf_counter()
    pool = ctx.Pool(2)
    pool.apply(twice, (1,))
    elapsed = time.perf_counter() - t0
    pool.terminate()
    pool.join()
    print(elapsed)
