"""sum_memory: sum of N ones with T threads reporting through a queue.Queue (the lecture's code)."""
import sys

from split_sum import timed_split_sum

n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
nthreads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
data = [1] * n

elapsed, total = timed_split_sum(n, nthreads, lambda lo, hi: sum(data[lo:hi]))
assert total == n
print(elapsed)
