// concur/mpi/executor.hpp — concurrent.futures over the ranks of an MPI job (mpi4py.futures'
// MPIPoolExecutor, SPMD mode).
//
//   concur::mpi::init(argc, argv);
//   concur::mpi::MPIPoolExecutor pool;                         // every worker of every agent
//   auto f = pool.submit(+[](int x) { return x * x; }, 7);     // futures::Future<int>
//   auto doubled = pool.map(+[](int x) { return 2 * x; }, items, 1000);
//   pool.shutdown();
//
// The verbs are futures::ProcessPoolExecutor's, and it satisfies futures::Executor: submit()
// returns a Future completed with the result, the task's own exception type (else
// multiprocessing::RemoteError), or multiprocessing::WorkerCrashed when the worker process
// running it died (that future only: the agent replaces the worker, every other task goes on).
// map(f, items, chunksize) sends chunks (0: about 4 per worker), returns results in order and
// rethrows the first failing chunk's exception. shutdown(wait, cancel_futures) refuses new
// work (std::logic_error), cancels the futures not yet sent to a rank when asked, and with
// wait=true waits until every agent's workers have exited. max_workers() is the number of
// worker processes on all ranks. How tasks travel: concur/mpi/detail/engine.hpp.
//
// Throws (constructor): std::logic_error before mpi::init() or on a rank other than 0;
// multiprocessing::ProcessError when a rank runs another build of the program, or an agent
// cannot start its workers; std::system_error.
// Thread safety: every member may be called from any thread (the destructor excepted).
#pragma once

#include "concur/futures/process_pool.hpp"
#include "concur/mpi/detail/engine.hpp"
#include "concur/mpi/options.hpp"

namespace concur::mpi {

/// futures::ProcessPoolExecutor's verbs (submit, map, shutdown, max_workers) over the ranks.
class MPIPoolExecutor : public detail::OverRanks<futures::ProcessPoolExecutor> {
 public:
  /// Starts the workers on every agent (and on rank 0 with use_rank0); waits until they run.
  explicit MPIPoolExecutor(MPIPoolOptions options = {}) : OverRanks(options) {}
};

}  // namespace concur::mpi
