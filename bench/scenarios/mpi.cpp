// Scenarios mpi_submit_roundtrip, mpi_map_small and mpi_compute: concur::mpi under
// `mpirun -np 3` (loopback; bench/mpi/mpi_bench.cpp times the measured part on rank 0) beside
// mpi4py.futures in SPMD mode (bench/python/mpi_futures.py), and the compute kernel over the
// ranks beside the same on a local 2-worker Pool. Each repetition is one mpirun job; its
// start-up is not measured. Skipped where Open MPI, the bench program or mpi4py is missing.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "concur/multiprocessing.hpp"
#include "harness/harness.hpp"
#include "kernels/kernels.hpp"

namespace {

using namespace concur::bench;

// The environment mpirun needs here: root's consent, loopback only.
void mpi_environment() {
  ::setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
  ::setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
  ::setenv("OMPI_MCA_oob_tcp_if_include", "lo", 1);
  ::setenv("OMPI_MCA_btl_tcp_if_include", "lo", 1);
}

std::vector<std::string> mpirun() { return {"mpirun", "--oversubscribe", "-np", "3"}; }

double concur_mpi(const std::string& what, long n) {
#ifdef CONCUR_BENCH_MPI_PATH
  auto argv = mpirun();
  argv.insert(argv.end(), {CONCUR_BENCH_MPI_PATH, what, std::to_string(n)});
  return run_timed(argv);
#else
  (void)what;
  (void)n;
  throw Skip("concur::mpi was not built (MPI not found)");
#endif
}

// The python3 that has mpi4py: the one on PATH, else Debian's (python3-mpi4py installs for
// /usr/bin/python3, which a pyenv or venv on PATH hides).
std::string python_with_mpi4py() {
  static const std::string found = [] {
    for (std::string py : {"python3", "/usr/bin/python3"})
      if (std::system((py + " -c 'import mpi4py.futures' >/dev/null 2>&1").c_str()) == 0) return py;
    return std::string();
  }();
  return found;
}

double mpi4py(const std::string& what, long n) {
  const std::string python = python_with_mpi4py();
  if (python.empty()) throw Skip("mpi4py is not installed (python3-mpi4py)");
  auto argv = mpirun();
  argv.insert(argv.end(), {python, "-m", "mpi4py.futures",
                           source_dir() + "/bench/python/mpi_futures.py", what, std::to_string(n)});
  return run_timed(argv);
}

long submits() { return quick() ? 200 : 2000; }
long map_items() { return quick() ? 10'000 : 100'000; }
std::int64_t compute_n() { return quick() ? 1'000'000 : 10'000'000; }

std::int64_t kernel(std::int64_t lo, std::int64_t hi) {
  return concur::kernels::modular_squarings(lo, hi);
}
volatile std::int64_t sink;
std::unique_ptr<concur::multiprocessing::Pool> local_pool;

Register submit_scenario{[] {
  return Scenario{.id = "mpi_submit_roundtrip",
                  .description = "2000 tiny submits over mpirun -np 3 (2 agents)",
                  .reference = "concur_mpi",
                  .impls = {{"concur_mpi", [] { return concur_mpi("submit", submits()); }},
                            {"mpi4py_futures", [] { return mpi4py("submit", submits()); }}},
                  .repetitions = 5,
                  .setup = mpi_environment};
}};

Register map_scenario{[] {
  return Scenario{.id = "mpi_map_small",
                  .description = "map(x * 2) over 10^5 ints, chunksize 1000, 3 ranks",
                  .reference = "concur_mpi",
                  .impls = {{"concur_mpi", [] { return concur_mpi("map", map_items()); }},
                            {"mpi4py_futures", [] { return mpi4py("map", map_items()); }}},
                  .repetitions = 5,
                  .setup = mpi_environment};
}};

Register compute_scenario{[] {
  return Scenario{
      .id = "mpi_compute",
      .description = "the compute kernel over 10^7 numbers: 2 agents x 1 worker vs a local Pool(2)",
      .reference = "concur_pool_local",
      .impls = {{"concur_mpi", [] { return concur_mpi("compute", compute_n()); }},
                {"concur_pool_local",
                 [] {
                   const std::int64_t n = compute_n();
                   const std::vector<std::tuple<std::int64_t, std::int64_t>> args{{0, n / 2},
                                                                                  {n / 2, n}};
                   return time_it([&] {
                     const auto s = local_pool->starmap(&kernel, args);
                     sink = s[0] + s[1];
                   });
                 }}},
      .repetitions = 5,
      .setup =
          [] {
            mpi_environment();
            local_pool = std::make_unique<concur::multiprocessing::Pool>(2);
          },
      .teardown = [] { local_pool.reset(); }};
}};

}  // namespace
