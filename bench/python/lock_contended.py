"""lock_contended: 2 threads each add 1 to a shared counter N times under one threading.Lock."""
import sys
import threading
import time

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
lock = threading.Lock()
counter = 0


def work():
    global counter
    for _ in range(n):
        with lock:
            counter += 1


t0 = time.perf_counter()
threads = [threading.Thread(target=work) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.perf_counter() - t0
assert counter == 2 * n
print(elapsed)
