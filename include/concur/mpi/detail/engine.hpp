// concur/mpi/detail/engine.hpp — internal: the engine under MPIPoolExecutor and mpi::Pool.
//
// On rank 0 of a launched job: one dispatcher thread per process owns MPI and sends tasks to
// the agents (and to a local pool when use_rank0); without a launcher: the local pool itself.
// Not part of the public API. Thread safety: the engine's members are safe from any thread.
#pragma once

#include <memory>

#include "concur/mpi/options.hpp"
#include "concur/multiprocessing/detail/pool_core.hpp"

namespace concur::mpi::detail {

/// Opens a pool over the ranks (waits until every agent started its workers). Throws
/// std::logic_error before init() or on a rank other than 0, multiprocessing::ProcessError when
/// a rank runs another build or cannot start its workers, std::system_error.
std::unique_ptr<multiprocessing::detail::PoolEngine> make_engine(const MPIPoolOptions& options);

}  // namespace concur::mpi::detail
