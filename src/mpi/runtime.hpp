// Internal to concur::mpi: the process-wide MPI state set up by init().
// Thread safety: written once by init() (before other threads start), then read-only.
#pragma once

#include <mpi.h>

#include <string>

namespace concur::mpi::detail {

struct Runtime {
  bool initialized = false;  // init() was called
  bool launched = false;     // under an MPI launcher: MPI is initialised
  int rank = 0, size = 1;
  MPI_Comm comm = MPI_COMM_NULL;  // a duplicate of MPI_COMM_WORLD, ours alone
  std::string mismatch;           // rank 0: which ranks run another build (empty: none)
};

Runtime& runtime();

/// The build-id of the running program (hex), or a hash of its file when it has none.
std::string build_id();

/// Runs the agent of a rank != 0 until rank 0 says exit. Never throws.
void agent_main();

/// Rank 0's exit: closes every pool, tells the agents to leave (see hub.cpp).
void hub_exit();

}  // namespace concur::mpi::detail
