// concur/mpi/options.hpp — the options of MPIPoolExecutor and mpi::Pool.
//
//   concur::mpi::MPIPoolExecutor pool({.workers_per_rank = 2, .use_rank0 = true});
//
// Thread safety: a value type.
#pragma once

#include "concur/multiprocessing/initializer.hpp"

namespace concur::mpi {

/// How many workers run where, and how each starts.
struct MPIPoolOptions {
  /// Worker processes each agent runs; 0: that host's multiprocessing::cpu_count().
  unsigned workers_per_rank = 0;
  /// Also run tasks in local worker processes on rank 0 (always so without a launcher).
  bool use_rank0 = false;
  /// Runs once in every worker process of every rank, replacements included; if it throws,
  /// the tasks sent to that rank fail with its exception.
  multiprocessing::Initializer initializer{};
  /// Replace a worker after this many tasks (chunks); 0: never.
  unsigned max_tasks_per_child = 0;
};

}  // namespace concur::mpi
