# threading on I/O-bound work: COUNT slow "requests" (a child that sleeps SECONDS), one after
# the other, then all at once on a thread pool. Waiting releases the GIL, so threads help.
# Usage: io_requests.py COUNT SECONDS serial|threaded
#   -> prints {"seconds": ..., "result": ...} as its last line.
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

count, delay, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]


def request(i):
    subprocess.run(["sleep", delay], check=True)
    return i


start = time.perf_counter()
if mode == "serial":
    answers = [request(i) for i in range(count)]
else:
    with ThreadPoolExecutor(max_workers=count) as executor:
        answers = list(executor.map(request, range(count)))
seconds = time.perf_counter() - start

print(json.dumps({"seconds": seconds, "result": f"{len(answers)} answers"}))
