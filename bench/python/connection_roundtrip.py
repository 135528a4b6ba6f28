"""connection_roundtrip: COUNT echoes of SIZE bytes over multiprocessing.connection's
Listener/Client (authkey set), FAMILY 'unix' or 'tcp'; the echo server is another process.
Usage: connection_roundtrip.py FAMILY SIZE COUNT -> prints the seconds of the echo loop."""
import multiprocessing as mp
import os
import sys
import tempfile
import time
from multiprocessing.connection import Client, Listener

KEY = b"bench"


def serve(address, ready):
    with Listener(address, authkey=KEY) as listener:
        ready.send(listener.address)
        with listener.accept() as conn:
            try:
                while True:
                    conn.send_bytes(conn.recv_bytes())
            except EOFError:
                pass


if __name__ == "__main__":
    family, size, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    tmp = tempfile.mkdtemp()
    address = os.path.join(tmp, "sock") if family == "unix" else ("127.0.0.1", 0)
    ctx = mp.get_context("fork")
    ours, theirs = ctx.Pipe()
    server = ctx.Process(target=serve, args=(address, theirs))
    server.start()
    address = ours.recv()
    message = b"x" * size
    with Client(address, authkey=KEY) as conn:
        start = time.perf_counter()
        for _ in range(count):
            conn.send_bytes(message)
            conn.recv_bytes()
        elapsed = time.perf_counter() - start
    server.join()
    if family == "unix":
        os.rmdir(tmp)
    print(elapsed)
