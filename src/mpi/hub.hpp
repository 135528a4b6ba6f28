// Internal to concur::mpi: rank 0's dispatcher — one thread per process that owns MPI and
// serves every open MPIPoolExecutor / mpi::Pool (each a HubPool).
//
// Callers (the engines' members, on any thread) only queue work under the hub's mutex and
// wake the thread. The thread sends tasks in batches to the agents, keeping up to `window`
// tasks in flight per rank (16 per worker) so every worker stays busy while results travel,
// receives outcomes and completes the tasks' sinks. With use_rank0 a local ProcessPoolCore is
// one more target. While anything is out it polls MPI with a back-off; with nothing out it
// blocks on its condition variable (no CPU used).
// Thread safety: HubEngine's members are safe from any thread.
#pragma once

#include <memory>

#include "concur/mpi/options.hpp"
#include "concur/multiprocessing/detail/pool_core.hpp"

namespace concur::mpi::detail {

/// Opens a pool over the agents (rank 0 of a launched job only); waits until it runs.
std::unique_ptr<multiprocessing::detail::PoolEngine> open_hub_pool(const MPIPoolOptions& options);

}  // namespace concur::mpi::detail
