"""mp_lock_contended: 2 processes x N increments of a Value under a shared multiprocessing.Lock."""
import multiprocessing as mp
import sys
import time


def increment(lock, v, ready, go, done, n):
    ready.release()
    go.wait()
    for _ in range(n):
        with lock:
            v.value += 1
    done.release()


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    ctx = mp.get_context("fork")
    lock, go, ready, done = ctx.Lock(), ctx.Event(), ctx.Semaphore(0), ctx.Semaphore(0)
    v = ctx.Value("q", 0, lock=False)  # the shared Lock guards it
    procs = [ctx.Process(target=increment, args=(lock, v, ready, go, done, n)) for _ in range(2)]
    for p in procs:
        p.start()
    ready.acquire()  # both are up and waiting for "go", as the C++ rows' workers
    ready.acquire()
    t0 = time.perf_counter()
    go.set()
    done.acquire()
    done.acquire()
    elapsed = time.perf_counter() - t0
    for p in procs:
        p.join()
    assert v.value == 2 * n
    print(elapsed)
