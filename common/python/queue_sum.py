# threading + queue: sum N ones with THREADS threads; each thread puts its partial sum
# into a Queue and the main thread adds them up.
# Usage: queue_sum.py N THREADS  -> prints {"seconds": ..., "result": ...} as its last line.
import json
import sys
import time
from queue import Queue
from threading import Thread

n, threads_count = int(sys.argv[1]), int(sys.argv[2])
data = [1] * n


def worker(begin, end, q):
    q.put(sum(data[begin:end]))


start = time.perf_counter()
q = Queue()
size = (n + threads_count - 1) // threads_count
threads = [Thread(target=worker, args=(i * size, min(n, (i + 1) * size), q))
           for i in range(threads_count)]
for t in threads:
    t.start()
for t in threads:
    t.join()
total = sum(q.get() for _ in range(threads_count))
seconds = time.perf_counter() - start

print(json.dumps({"seconds": seconds, "result": str(total)}))
