// Scenarios process_executor_map (map(x * 2) over 10^5 ints, chunksize 1000) and
// process_executor_roundtrip (1000 x submit+result of a tiny task, one at a time) on a warm
// 2-worker ProcessPoolExecutor, beside Python's ProcessPoolExecutor doing the same
// (bench/python/process_executor.py, fork context).
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "concur/futures.hpp"
#include "harness/harness.hpp"

namespace {

using concur::bench::time_it;

int twice(int x) { return x * 2; }

int map_items() { return concur::bench::quick() ? 10'000 : 100'000; }
int round_trips() { return concur::bench::quick() ? 100 : 1000; }

struct Warm {
  std::unique_ptr<concur::futures::ProcessPoolExecutor> pool;
  std::vector<int> items;
};
Warm warm;

void start_pool() {
  warm.pool = std::make_unique<concur::futures::ProcessPoolExecutor>(2);
  warm.pool->map(&twice, std::vector<int>(100, 1), 10);  // both workers up
  warm.items.resize(static_cast<std::size_t>(map_items()));
  std::iota(warm.items.begin(), warm.items.end(), 0);
}

concur::bench::Register map_scenario{[] {
  using namespace concur::bench;
  return Scenario{
      .id = "process_executor_map",
      .description = "map(x * 2) over 10^5 ints, chunksize 1000, warm 2-worker ProcessPoolExecutor",
      .reference = "concur_process_executor",
      .impls = {{"concur_process_executor",
                 [] {
                   std::vector<int> out;
                   const double s =
                       time_it([&] { out = warm.pool->map(&twice, warm.items, 1000); });
                   do_not_optimize(out.data());
                   return s;
                 }},
                {"python_process_executor",
                 [] {
                   return run_python("process_executor.py", {"map", std::to_string(map_items())});
                 }}},
      .setup = start_pool,
      .teardown = [] { warm = Warm{}; }};
}};

concur::bench::Register roundtrip_scenario{[] {
  using namespace concur::bench;
  return Scenario{
      .id = "process_executor_roundtrip",
      .description = "1000 x submit+result of a tiny task, warm 2-worker ProcessPoolExecutor",
      .reference = "concur_process_executor",
      .impls = {{"concur_process_executor",
                 [] {
                   return time_it([] {
                     for (int i = 0; i < round_trips(); ++i)
                       if (warm.pool->submit(&twice, i).result() != 2 * i)
                         throw std::logic_error("bad");
                   });
                 }},
                {"python_process_executor",
                 [] {
                   return run_python("process_executor.py",
                                     {"roundtrip", std::to_string(round_trips())});
                 }}},
      .setup = start_pool,
      .teardown = [] { warm = Warm{}; }};
}};

}  // namespace
