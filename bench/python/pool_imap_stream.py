"""pool_imap_stream: imap(x * 2) over 10^6 ints, chunksize 1000, on a warm 2-worker pool.

Prints the seconds, or with the argument "rss" the process's peak RSS in MiB."""
import multiprocessing as mp
import resource
import sys
import time


def twice(x):
    return x * 2


if __name__ == "__main__":
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    with mp.get_context("fork").Pool(2) as pool:
        pool.map(twice, range(10))  # warm
        t0 = time.perf_counter()
        total = 0
        for r in pool.imap(twice, range(n), chunksize=1000):
            total += r
        elapsed = time.perf_counter() - t0
    assert total == n * (n - 1)
    if len(sys.argv) > 1 and sys.argv[1] == "rss":
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    else:
        print(elapsed)
