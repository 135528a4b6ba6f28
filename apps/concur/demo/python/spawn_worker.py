# multiprocessing under the spawn start method: the lecture's cell whose worker is defined in
# __main__. A spawned child is a fresh interpreter that must re-import __main__ to find
# `worker`; fed through `python3 -c` (as in a notebook) there is no file to import, and the
# child dies with "AttributeError: Can't get attribute 'worker' on <module '__main__'>".
# Usage: spawn_worker.py N  -> prints {"seconds": ..., "result": ...} as its last line, where
# result says "ran: <sum of squares below N>" or "failed (exitcode E): <the child's error>".
import json
import multiprocessing
import os
import sys
import tempfile
import time


def worker(n, out):
    out.put(sum(x * x for x in range(n)))


if __name__ == "__main__":
    n = int(sys.argv[1])
    context = multiprocessing.get_context("spawn")
    log = tempfile.TemporaryFile()  # the child's traceback goes to our stderr: keep it
    sys.stderr.flush()
    saved = os.dup(2)
    os.dup2(log.fileno(), 2)
    outcome = None
    start = time.perf_counter()
    try:
        queue = context.Queue()
        process = context.Process(target=worker, args=(n, queue))
        process.start()
        process.join(60)
        if process.exitcode == 0:
            outcome = "ran: " + str(queue.get(timeout=5))
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
    seconds = time.perf_counter() - start
    if outcome is None:
        log.seek(0)
        lines = [l for l in log.read().decode(errors="replace").splitlines() if l.strip()]
        outcome = "failed (exitcode %s): %s" % (process.exitcode,
                                               lines[-1] if lines else "no message")
    print(json.dumps({"seconds": seconds, "result": outcome}))
