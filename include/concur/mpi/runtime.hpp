// concur/mpi/runtime.hpp — starting the MPI job: init(), rank(), size().
//
//   int main(int argc, char** argv) {
//     concur::mpi::init(argc, argv);   // first line of main
//     if (concur::mpi::size() == 1) std::cout << "no launcher: local workers only\n";
//     ...
//   }
//
// Thread safety: init() must be called once, from the main thread, before any other thread
// starts; rank() and size() are safe from any thread.
#pragma once

namespace concur::mpi {

/// First line of main() (it calls multiprocessing::freeze_support() itself, so a program that
/// uses the spawn start method needs no separate call).
///
/// Under an MPI launcher (mpirun / mpiexec / srun --mpi=pmix: detected by the variables the
/// launcher sets) it calls MPI_Init_thread (MPI_THREAD_SERIALIZED) and checks that every rank
/// runs the same build of the program as rank 0 (the build-id of the executable). On rank 0 it
/// returns; on every other rank it runs the agent — the local process pool that executes what
/// rank 0's executors send — and exits the process (status 0) when rank 0's program ends; it
/// never returns there. At rank 0's exit it tells the agents to leave and finalises MPI.
/// Without a launcher it does not touch MPI at all: rank() is 0, size() is 1 and executors use
/// local worker processes only, so the same program runs on a laptop.
///
/// Ranks started by a launcher die with it (PR_SET_PDEATHSIG), so a killed mpirun leaves no
/// orphan ranks behind.
///
/// Throws std::logic_error if called twice, std::runtime_error if MPI cannot be initialised
/// with the thread level needed. A rank running another build is not an error here: every
/// MPIPoolExecutor / Pool then throws multiprocessing::ProcessError naming the rank.
void init(int& argc, char**& argv);

/// This process's rank in MPI_COMM_WORLD (0 without a launcher or before init()). In a task,
/// the rank of the agent that runs it. Never throws.
int rank() noexcept;

/// The number of ranks in MPI_COMM_WORLD (1 without a launcher or before init()). Never throws.
int size() noexcept;

}  // namespace concur::mpi
