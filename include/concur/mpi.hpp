// concur/mpi.hpp — the executor and Pool verbs over the ranks of an MPI job (Open MPI), so a
// program that outgrows one machine keeps its ProcessPoolExecutor / Pool code. Link
// concur::mpi (built when CMake finds MPI); concur::concur never depends on MPI.
//
//   #include <concur/mpi.hpp>
//   int work(int x) { return x * x; }
//   int main(int argc, char** argv) {
//     concur::mpi::init(argc, argv);             // ranks != 0 become agents here, never return
//     concur::mpi::MPIPoolExecutor pool;          // rank 0 only reaches this line
//     auto f = pool.submit(&work, 7);             // runs in a worker process on rank 1 or 2
//     auto squares = pool.map(&work, std::vector<int>{1, 2, 3}, 1);
//   }
//   // mpirun -np 3 ./app   (as root, on loopback: see README "More than one machine")
//
// The model is mpi4py.futures' SPMD mode: the same program runs on every rank; rank 0 runs
// main(), every other rank is an agent running a local process pool (concur::multiprocessing)
// that executes what rank 0 sends. Functions travel as offsets in the program image (as for
// the spawn start method), arguments and results as the local pool's serialized frames.
// Without a launcher (plain ./app) the executor runs on a local pool only.
#pragma once

#include "concur/mpi/errors.hpp"
#include "concur/mpi/executor.hpp"
#include "concur/mpi/options.hpp"
#include "concur/mpi/pool.hpp"
#include "concur/mpi/runtime.hpp"
