// make_engine: the local pool without a launcher, else a pool served by rank 0's hub.
#include <stdexcept>

#include "concur/mpi/detail/engine.hpp"
#include "concur/multiprocessing/errors.hpp"
#include "concur/multiprocessing/start_method.hpp"
#include "mpi/hub.hpp"
#include "mpi/runtime.hpp"

namespace concur::mpi::detail {

namespace mp = concur::multiprocessing;

std::unique_ptr<mp::detail::PoolEngine> make_engine(const MPIPoolOptions& options) {
  const Runtime& rt = runtime();
  if (!rt.initialized)
    throw std::logic_error(
        "concur::mpi: call concur::mpi::init(argc, argv) first in main before making an "
        "MPIPoolExecutor or mpi::Pool");
  if (rt.rank != 0) throw std::logic_error("concur::mpi: executors run on rank 0 only");
  if (!rt.mismatch.empty()) throw mp::ProcessError(rt.mismatch);
  if (!rt.launched || rt.size == 1) {
    mp::detail::ProcessPoolConfig config;
    config.processes = options.workers_per_rank;
    config.method = mp::get_start_method();
    config.maxtasksperchild = options.max_tasks_per_child;
    config.initializer = options.initializer;
    return std::make_unique<mp::detail::ProcessPoolCore>(std::move(config));
  }
  return open_hub_pool(options);
}

}  // namespace concur::mpi::detail
