"""barrier_cycles: 2 threads pass one threading.Barrier N times."""
import sys
import threading
import time

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
barrier = threading.Barrier(2)
zeros = [0, 0]


def work(k):
    for _ in range(n):
        if barrier.wait() == 0:
            zeros[k] += 1


t0 = time.perf_counter()
threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.perf_counter() - t0
assert sum(zeros) == n
print(elapsed)
