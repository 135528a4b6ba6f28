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
// work (std::logic_error), cancels the unfinished futures when asked, and with wait=true waits
// until every agent's workers have exited. max_workers() is the number of worker processes on
// all ranks.
//
// Rank 0's dispatcher thread (one per process, shared by every executor and Pool) owns MPI:
// callers only touch queues. It keeps several tasks in flight on every rank, sends them in
// batches, and polls MPI with a back-off (at most 1 ms between polls while tasks are out,
// longer once a rank has been idle a while); with nothing out it blocks and uses no CPU.
//
// A whole rank that dies: with Open MPI 4.1 (no ULFM) mpirun ends the job (see RankLost).
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
class MPIPoolExecutor : public futures::ProcessPoolExecutor {
 public:
  /// Starts the workers on every agent (and on rank 0 with use_rank0); waits until they run.
  explicit MPIPoolExecutor(MPIPoolOptions options = {})
      : futures::ProcessPoolExecutor(detail::make_engine(options)) {}
};

}  // namespace concur::mpi
