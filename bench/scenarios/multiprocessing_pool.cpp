// Scenarios of concur::multiprocessing (ids from shared/BENCH.md):
//   pool_startup     Pool(2) created until its first result      ref concur_pool
//                    (and raw_exec_floor: two execs of this binary until one runs main();
//                    lean_*: the same rows in bench/lean, a program linking only concur)
//   pool_map_small   map(x * 2) over 10^5 ints, warm 2-worker pool ref concur_pool
//   pool_sum_shared  sum of 10^7 int64 over 2 workers              ref concur_sharedarray
//   pool_compute     the compute kernel split over 2 workers       ref raw_1_thread
//   pool_imap_stream imap(x * 2) over 10^6 ints, chunksize 1000     ref concur_pool
//                    (and, same id, unit MiB: the parent's peak RSS while it runs)
#include <concur/multiprocessing.hpp>
#include <cstdint>
#include <fstream>
#include <memory>
#include <numeric>
#include <ranges>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "harness/exec_floor.hpp"
#include "harness/harness.hpp"
#include "kernels/kernels.hpp"

namespace {

namespace mp = concur::multiprocessing;
using concur::bench::Register;
using concur::bench::Scenario;
using concur::bench::time_it;

int twice(int x) { return x * 2; }

std::int64_t sum_range(const std::int64_t* p, std::size_t lo, std::size_t hi) {
  return std::accumulate(p + lo, p + hi, std::int64_t{0});
}

std::int64_t sum_shared(mp::SharedArray<std::int64_t> a, std::size_t lo, std::size_t hi) {
  return sum_range(a.data(), lo, hi);
}

std::int64_t sum_vector(std::vector<std::int64_t> v) { return sum_range(v.data(), 0, v.size()); }

// The kernel of sum_compute (common/kernels): four dependent modular squarings per i.
std::int64_t kernel(std::int64_t lo, std::int64_t hi) {
  return concur::kernels::modular_squarings(lo, hi);
}

std::size_t sum_n() { return concur::bench::quick() ? 1'000'000 : 10'000'000; }
std::int64_t compute_n() { return concur::bench::quick() ? 100'000 : 1'000'000; }

volatile std::int64_t sink;  // keeps results alive

struct Warm {
  std::unique_ptr<mp::SharedArray<std::int64_t>> shared;
  std::vector<std::vector<std::int64_t>> parts;
  std::vector<int> small;
  std::unique_ptr<mp::Pool> pool;
};
Warm warm;

double two_threads(std::size_t n, const std::int64_t* p) {
  return time_it([&] {
    std::int64_t a = 0, b = 0;
    // Two worker threads while the caller waits (see threading_sum.cpp for why).
    std::thread t0([&] { a = sum_range(p, 0, n / 2); });
    std::thread t1([&] { b = sum_range(p, n / 2, n); });
    t0.join();
    t1.join();
    sink = a + b;
  });
}

// One run of concur_bench_lean (its own timing; the exec of it is not timed).
double lean(const char* mode) {
#ifdef CONCUR_BENCH_LEAN_PATH
  return concur::bench::run_timed({CONCUR_BENCH_LEAN_PATH, mode});
#else
  (void)mode;
  throw concur::bench::Skip("concur_bench_lean was not built");
#endif
}

Register startup{[] {
  return Scenario{
      .id = "pool_startup",
      .description = "Pool(2) created until its first result",
      .reference = "concur_pool",
      .impls = {{"concur_pool",
                 [] {
                   std::unique_ptr<mp::Pool> pool;
                   const double t = time_it([&] {
                     pool = std::make_unique<mp::Pool>(2);
                     sink = pool->apply_async(&twice, 1).get();
                   });
                   pool.reset();  // teardown (kill + reap) is not part of start-up
                   return t;
                 }},
                {"concur_pool_spawn",
                 [] {
                   std::unique_ptr<mp::Pool> pool;
                   const double t = time_it([&] {
                     pool = std::make_unique<mp::Pool>(
                         2, mp::PoolOptions{.start_method = mp::StartMethod::spawn});
                     sink = pool->apply_async(&twice, 1).get();
                   });
                   pool.reset();
                   return t;
                 }},
                // The floor under any spawn method here: two execs of this binary until the
                // first runs main() (harness/exec_floor.hpp).
                {"raw_exec_floor", [] { return concur::bench::exec_floor(2); }},
                // The same three in a program that links only concur (bench/lean): a spawned
                // worker pays for what its program links; this binary links much more.
                {"lean_concur_pool", [] { return lean("fork"); }},
                {"lean_concur_pool_spawn", [] { return lean("spawn"); }},
                {"lean_raw_exec_floor", [] { return lean("floor"); }},
                {"python_pool_fork",
                 [] { return concur::bench::run_python("pool_startup.py", {"fork"}); }},
                {"python_pool_spawn",
                 [] { return concur::bench::run_python("pool_startup.py", {"spawn"}); }},
                {"python_pool_forkserver",
                 [] { return concur::bench::run_python("pool_startup.py", {"forkserver"}); }}},
      .repetitions = 7};
}};

Register map_small{[] {
  return Scenario{
      .id = "pool_map_small",
      .description = "map(x * 2) over 10^5 ints on a warm 2-worker pool",
      .reference = "concur_pool",
      .impls = {{"concur_pool",
                 [] { return time_it([] { sink = warm.pool->map(&twice, warm.small).back(); }); }},
                {"python_pool", [] { return concur::bench::run_python("pool_map_small.py"); }}},
      .repetitions = 7,
      .setup =
          [] {
            warm.small.resize(100'000);
            std::iota(warm.small.begin(), warm.small.end(), 0);
            warm.pool = std::make_unique<mp::Pool>(2);
          },
      .teardown = [] { warm = Warm{}; }};
}};

Register sum_shared_scenario{[] {
  return Scenario{
      .id = "pool_sum_shared",
      .description = "sum of 10^7 int64 on a warm 2-worker pool",
      .reference = "concur_sharedarray",
      .impls = {{"concur_sharedarray",
                 [] {
                   const std::size_t n = warm.shared->size();
                   using Args = std::tuple<mp::SharedArray<std::int64_t>, std::size_t, std::size_t>;
                   const std::vector<Args> args{{*warm.shared, 0, n / 2}, {*warm.shared, n / 2, n}};
                   return time_it([&] {
                     const auto s = warm.pool->starmap(&sum_shared, args);
                     sink = s[0] + s[1];
                   });
                 }},
                {"raw_1_thread",
                 [] {
                   return time_it(
                       [] { sink = sum_range(warm.shared->data(), 0, warm.shared->size()); });
                 }},
                {"raw_2_threads",
                 [] { return two_threads(warm.shared->size(), warm.shared->data()); }},
                {"concur_copy",
                 [] {
                   return time_it([] {
                     const auto s = warm.pool->map(&sum_vector, warm.parts, 1);
                     sink = s[0] + s[1];
                   });
                 }},
                {"python_pool_copy",
                 [] {
                   return concur::bench::run_python("pool_sum_copy.py", {std::to_string(sum_n())});
                 }}},
      .repetitions = 5,
      .setup =
          [] {
            const std::size_t n = sum_n();
            warm.shared = std::make_unique<mp::SharedArray<std::int64_t>>(n);
            std::iota(warm.shared->begin(), warm.shared->end(), 0);
            warm.parts = {{warm.shared->begin(), warm.shared->begin() + n / 2},
                          {warm.shared->begin() + n / 2, warm.shared->end()}};
            warm.pool = std::make_unique<mp::Pool>(2);
          },
      .teardown = [] { warm = Warm{}; }};
}};

Register compute{[] {
  return Scenario{
      .id = "pool_compute",
      .description = "the compute kernel split over 2 workers",
      .reference = "raw_1_thread",
      .impls = {{"raw_1_thread", [] { return time_it([] { sink = kernel(0, compute_n()); }); }},
                {"raw_2_threads",
                 [] {
                   return time_it([] {
                     const std::int64_t n = compute_n();
                     std::int64_t a = 0, b = 0;
                     std::thread t0([&] { a = kernel(0, n / 2); });
                     std::thread t1([&] { b = kernel(n / 2, n); });
                     t0.join();
                     t1.join();
                     sink = a + b;
                   });
                 }},
                {"concur_pool",
                 [] {
                   const std::int64_t n = compute_n();
                   const std::vector<std::tuple<std::int64_t, std::int64_t>> args{{0, n / 2},
                                                                                  {n / 2, n}};
                   return time_it([&] {
                     const auto s = warm.pool->starmap(&kernel, args);
                     sink = s[0] + s[1];
                   });
                 }}},
      .repetitions = 7,
      .setup = [] { warm.pool = std::make_unique<mp::Pool>(2); },
      .teardown = [] { warm = Warm{}; }};
}};

std::int64_t imap_n() { return concur::bench::quick() ? 100'000 : 1'000'000; }

// The sum of imap(x * 2) over 0..n-1 (checked: the work is really done).
void imap_stream() {
  const std::int64_t n = imap_n();
  std::int64_t total = 0;
  for (std::int64_t r : warm.pool->imap(
           +[](std::int64_t x) { return x * 2; }, std::views::iota(std::int64_t{0}, n), 1000))
    total += r;
  if (total != n * (n - 1)) throw std::runtime_error("pool_imap_stream: wrong sum");
  sink = total;
}

// This process's peak RSS (VmHWM) in MiB since the last reset_peak_rss().
double peak_rss_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // kB
  throw concur::bench::Skip("no VmHWM in /proc/self/status");
}
void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }

Register imap_stream_time{[] {
  return Scenario{.id = "pool_imap_stream",
                  .description = "imap(x * 2) over 10^6 ints, chunksize 1000, warm 2-worker pool",
                  .reference = "concur_pool",
                  .impls = {{"concur_pool", [] { return time_it(imap_stream); }},
                            {"python_pool",
                             [] {
                               return concur::bench::run_python("pool_imap_stream.py",
                                                                {"time", std::to_string(imap_n())});
                             }}},
                  .repetitions = 5,
                  .setup = [] { warm.pool = std::make_unique<mp::Pool>(2); },
                  .teardown = [] { warm = Warm{}; }};
}};

Register imap_stream_rss{[] {
  return Scenario{.id = "pool_imap_stream",
                  .description = "peak RSS of the parent during imap(x * 2) over 10^6 ints",
                  .reference = "concur_pool_peak_rss",
                  .impls = {{"concur_pool_peak_rss",
                             [] {
                               reset_peak_rss();
                               imap_stream();
                               return peak_rss_mib();
                             }},
                            {"python_pool_peak_rss",
                             [] {
                               return concur::bench::run_python("pool_imap_stream.py",
                                                                {"rss", std::to_string(imap_n())});
                             }}},
                  .repetitions = 3,
                  .unit = "MiB",
                  .setup = [] { warm.pool = std::make_unique<mp::Pool>(2); },
                  .teardown = [] { warm = Warm{}; }};
}};

}  // namespace
