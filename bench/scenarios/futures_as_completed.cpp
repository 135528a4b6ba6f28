// Scenario as_completed_10k: 10^4 tasks on a 2-worker ThreadPoolExecutor, drained through
// as_completed, beside Python's ThreadPoolExecutor + as_completed doing the same work (each task
// steps a 64-bit LCG k times, k in [0, 4000] from a fixed-seed LCG:
// bench/python/as_completed_10k.py).
#include <cstdint>
#include <string>
#include <vector>

#include "concur/futures.hpp"
#include "harness/harness.hpp"

namespace {

using concur::bench::time_it;

constexpr std::uint64_t kA = 6364136223846793005ULL, kC = 1442695040888963407ULL;
constexpr std::uint64_t kMax = 4000;

int tasks() { return concur::bench::quick() ? 1000 : 10'000; }

std::uint64_t work(std::uint64_t k) {
  std::uint64_t x = k;
  for (std::uint64_t i = 0; i < k; ++i) x = x * kA + kC;
  return x;
}

std::vector<std::uint64_t> steps() {
  std::vector<std::uint64_t> ks;
  std::uint64_t seed = 12345;
  for (int i = 0; i < tasks(); ++i) {
    seed = seed * kA + kC;
    ks.push_back((seed >> 33) % (kMax + 1));
  }
  return ks;
}

double concur_as_completed() {
  concur::futures::ThreadPoolExecutor pool(2);
  const auto ks = steps();
  std::uint64_t total = 0;
  const double s = time_it([&] {
    std::vector<concur::futures::Future<std::uint64_t>> fs;
    fs.reserve(ks.size());
    for (auto k : ks) fs.push_back(pool.submit(work, k));
    for (const auto& f : concur::futures::as_completed(std::move(fs))) total += f.result();
  });
  concur::bench::do_not_optimize(&total);
  return s;
}

concur::bench::Register reg{[] {
  using namespace concur::bench;
  return Scenario{.id = "as_completed_10k",
                  .description =
                      "10^4 tasks (0-4000 LCG steps each) on 2 workers, drained by "
                      "as_completed",
                  .reference = "concur_executor",
                  .impls = {{"concur_executor", concur_as_completed},
                            {"python_as_completed", [] {
                               return run_python("as_completed_10k.py",
                                                 {std::to_string(tasks()), std::to_string(kMax)});
                             }}}};
}};

}  // namespace
