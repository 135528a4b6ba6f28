"""mpi_submit_roundtrip / mpi_map_small with mpi4py.futures in SPMD mode:

    mpirun -np 3 python3 -m mpi4py.futures bench/python/mpi_futures.py submit 2000
    mpirun -np 3 python3 -m mpi4py.futures bench/python/mpi_futures.py map 100000

Rank 0 runs this file; ranks 1 and 2 are mpi4py's workers. Prints the measured seconds.
submit: N x pool.submit(twice, i), then every result; map: list(pool.map(twice, range(N),
chunksize=1000)).
"""
import sys
import time

from mpi4py.futures import MPIPoolExecutor


def twice(x):
    return x * 2


if __name__ == "__main__":
    what = sys.argv[1]
    n = int(sys.argv[2])
    with MPIPoolExecutor() as pool:
        list(pool.map(twice, range(100)))  # every worker up
        t0 = time.perf_counter()
        if what == "submit":
            fs = [pool.submit(twice, i) for i in range(n)]
            assert [f.result() for f in fs][-1] == 2 * (n - 1)
        else:
            out = list(pool.map(twice, range(n), chunksize=1000))
            assert out[-1] == 2 * (n - 1)
        elapsed = time.perf_counter() - t0
    print(elapsed)
