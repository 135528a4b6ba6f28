"""condition_pingpong: N round trips between 2 threads through one threading.Condition."""
import sys
import threading
import time

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
cond = threading.Condition(threading.Lock())
turn = [0]


def pong():
    for _ in range(n):
        with cond:
            cond.wait_for(lambda: turn[0] == 1)
            turn[0] = 0
            cond.notify()


t0 = time.perf_counter()
t = threading.Thread(target=pong)
t.start()
for _ in range(n):
    with cond:
        turn[0] = 1
        cond.notify()
        cond.wait_for(lambda: turn[0] == 0)
t.join()
elapsed = time.perf_counter() - t0
print(elapsed)
