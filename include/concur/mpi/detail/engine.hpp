// concur/mpi/detail/engine.hpp — internal: what MPIPoolExecutor and mpi::Pool share — the
// engine under them, and their construction (OverRanks).
//
// On rank 0 of a launched job: one dispatcher thread per process (shared by every executor and
// Pool) owns MPI: callers only touch its queues. It keeps a window of tasks in flight on every
// rank (deeper for tiny tasks, see docs/design.md), sends them in batches, and polls MPI with a
// back-off (at most 1 ms between polls while tasks are out, longer once a rank has been idle a
// while); with nothing out it blocks and uses no CPU. Each agent runs the tasks on its local
// worker processes (tiny ones several at a time, with the semantics of one). Without a
// launcher: the local pool itself. A whole rank that dies: with Open MPI 4.1 (no ULFM) mpirun
// ends the job (see RankLost). Not part of the public API.
// Thread safety: the engine's members are safe from any thread.
#pragma once

#include <memory>

#include "concur/mpi/options.hpp"
#include "concur/multiprocessing/detail/pool_core.hpp"

namespace concur::mpi::detail {

/// Opens a pool over the ranks (waits until every agent started its workers). Throws
/// std::logic_error before init() or on a rank other than 0, multiprocessing::ProcessError when
/// a rank runs another build or cannot start its workers, std::system_error.
std::unique_ptr<multiprocessing::detail::PoolEngine> make_engine(const MPIPoolOptions& options);

/// `Base` (futures::ProcessPoolExecutor or multiprocessing::Pool: the verbs) over the ranks'
/// engine (make_engine: its throws are the constructor's).
template <class Base>
class OverRanks : public Base {
 protected:
  /// Starts the workers on every agent (and on rank 0 with use_rank0); waits until they run.
  explicit OverRanks(const MPIPoolOptions& options) : Base(make_engine(options)) {}
};

}  // namespace concur::mpi::detail
