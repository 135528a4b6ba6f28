// concur/mpi/pool.hpp — multiprocessing::Pool's verbs over the ranks (as mpi4py.util.pool.Pool).
//
//   concur::mpi::Pool pool;                                          // after mpi::init()
//   auto doubled = pool.map(+[](int x) { return 2 * x; }, items, 1000);
//   for (int r : pool.imap_unordered(+[](int x) { return x + 1; }, items)) use(r);
//
// Every member is multiprocessing::Pool's (apply, apply_async, map, map_async, starmap,
// starmap_async, imap, imap_unordered, close, terminate, join), with the same behaviour:
// chunks travel to the agents on the other ranks, each runs them on its local worker
// processes; results come back in order (imap_unordered: as they complete); a task's exception
// keeps its type; a worker that dies fails its own task with multiprocessing::WorkerCrashed and
// is replaced. processes() counts every worker on every rank; pids() lists rank 0's own
// workers only (use_rank0, or no launcher). Arguments that travel as handles (SharedArray,
// Queue, locks: fds) cannot go to another rank: such a task fails with
// multiprocessing::ProcessError. How tasks travel: concur/mpi/detail/engine.hpp.
// Throws (constructor): as MPIPoolExecutor's.
// Thread safety: as multiprocessing::Pool (every member but the destructor from any thread).
#pragma once

#include "concur/mpi/detail/engine.hpp"
#include "concur/mpi/options.hpp"
#include "concur/multiprocessing/pool.hpp"

namespace concur::mpi {

/// multiprocessing::Pool over the workers of every rank.
class Pool : public detail::OverRanks<multiprocessing::Pool> {
 public:
  /// Starts the workers on every agent (and on rank 0 with use_rank0); waits until they run.
  explicit Pool(MPIPoolOptions options = {}) : OverRanks(options) {}
};

}  // namespace concur::mpi
