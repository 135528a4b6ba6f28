"""mp_queue_1p1c: N small items from one process to another through multiprocessing.Queue."""
import multiprocessing as mp
import sys
import time


def consume(q, back, n):
    back.put(q.get())
    total = 0
    for _ in range(n):
        total += q.get()
    back.put(total)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    ctx = mp.get_context("fork")
    q, back = ctx.Queue(), ctx.Queue()
    p = ctx.Process(target=consume, args=(q, back, n))
    p.start()
    q.put(-1)
    back.get()  # the consumer is up and reading
    t0 = time.perf_counter()
    for i in range(n):
        q.put(i)
    assert back.get() == n * (n - 1) // 2
    elapsed = time.perf_counter() - t0
    p.join()
    print(elapsed)
