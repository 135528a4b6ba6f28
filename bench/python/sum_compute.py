"""sum_compute: the compute kernel (four dependent modular squarings per i) on T threads."""
import sys

from split_sum import timed_split_sum

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
nthreads = int(sys.argv[2]) if len(sys.argv) > 2 else 1


def kernel(lo, hi):
    s = 0
    for i in range(lo, hi):
        x = i
        for _ in range(4):
            x = (x * x + 1) % 1000003
        s += x
    return s


elapsed, total = timed_split_sum(n, nthreads, kernel)
print(elapsed)
