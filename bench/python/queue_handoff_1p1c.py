"""queue_handoff_1p1c: N ints from one producer thread to one consumer through queue.Queue."""
import queue
import sys
import threading
import time

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
q = queue.Queue()


def producer():
    for i in range(n):
        q.put(i)


t0 = time.perf_counter()
t = threading.Thread(target=producer)
t.start()
total = 0
for _ in range(n):
    total += q.get()
t.join()
elapsed = time.perf_counter() - t0
assert total == n * (n - 1) // 2
print(elapsed)
