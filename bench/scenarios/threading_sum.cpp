// Scenarios sum_memory (sum of 10^7 ones) and sum_compute (a kernel the compiler cannot fold):
// one thread, a hand-written 2-thread split (the machine's limit), concur Threads reporting
// through a concur Queue (the lecture's shape), and CPython with 1 and 2 threads. Kernels and
// Python twins are shared with the demo (common/kernels, common/python).
#include <cstdint>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "concur/queue.hpp"
#include "concur/threading.hpp"
#include "harness/harness.hpp"
#include "kernels/kernels.hpp"

namespace {

using concur::bench::time_it;
namespace kernels = concur::kernels;

// Part i of `parts` of a scenario's work over `data` (or `n` steps).
using Part = std::int64_t (*)(const std::vector<std::int64_t>& data, std::size_t n,
                              std::size_t parts, std::size_t i);

std::int64_t sum_part(const std::vector<std::int64_t>& data, std::size_t, std::size_t parts,
                      std::size_t i) {
  return kernels::sum_part(data, parts, i);
}

std::int64_t squarings_part(const std::vector<std::int64_t>&, std::size_t n, std::size_t parts,
                            std::size_t i) {
  const kernels::Slice s = kernels::slice_of(n, parts, i);
  return kernels::modular_squarings(static_cast<std::int64_t>(s.begin),
                                    static_cast<std::int64_t>(s.end));
}

std::size_t memory_n() { return concur::bench::quick() ? 1'000'000 : 10'000'000; }
std::size_t compute_n() { return concur::bench::quick() ? 100'000 : 1'000'000; }

double raw_1(Part part, const std::vector<std::int64_t>& v, std::size_t n) {
  std::int64_t s = 0;
  const double t = time_it([&] { s = part(v, n, 1, 0); });
  concur::bench::do_not_optimize(s);
  return t;
}

double raw_2(Part part, const std::vector<std::int64_t>& v, std::size_t n) {
  std::int64_t s = 0;
  const double t = time_it([&] {
    // Two worker threads while this one waits: when the caller computes a half itself, Linux
    // often starts the new thread on the caller's CPU and migrates it only after milliseconds,
    // which hides the second CPU from a split this short.
    std::int64_t a = 0, b = 0;
    std::thread t0([&] { a = part(v, n, 2, 0); });
    std::thread t1([&] { b = part(v, n, 2, 1); });
    t0.join();
    t1.join();
    s = a + b;  // in slice order
  });
  concur::bench::do_not_optimize(s);
  return t;
}

double concur_2(Part part, const std::vector<std::int64_t>& v, std::size_t n) {
  std::int64_t s = 0;
  const double t = time_it([&] {
    concur::queue::Queue<std::pair<int, std::int64_t>> results;
    concur::threading::Thread t0([&] { results.put({0, part(v, n, 2, 0)}); });
    concur::threading::Thread t1([&] { results.put({1, part(v, n, 2, 1)}); });
    t0.start();
    t1.start();
    std::int64_t parts[2];
    for (int i = 0; i < 2; ++i) {
      auto [index, value] = results.get();
      parts[index] = value;
    }
    t0.join();
    t1.join();
    s = parts[0] + parts[1];  // in slice order
  });
  concur::bench::do_not_optimize(s);
  return t;
}

concur::bench::Scenario make(std::string id, std::string description, Part part, std::size_t n,
                             std::string twin) {
  auto data = std::make_shared<std::vector<std::int64_t>>();
  const bool memory = id == "sum_memory";
  const std::string script = "common/python/" + twin;
  using namespace concur::bench;
  return Scenario{.id = id,
                  .description = description,
                  .reference = "raw_1_thread",
                  .impls = {{"raw_1_thread", [=] { return raw_1(part, *data, n); }},
                            {"raw_2_threads", [=] { return raw_2(part, *data, n); }},
                            {"concur_2_threads", [=] { return concur_2(part, *data, n); }},
                            {"python_1_thread",
                             [=] {
                               return run_python(script, {std::to_string(n), "1"});
                             }},
                            {"python_2_threads",
                             [=] {
                               return run_python(script, {std::to_string(n), "2"});
                             }}},
                  .setup = [=] { data->assign(memory ? n : 0, 1); },
                  .teardown = [=] { std::vector<std::int64_t>().swap(*data); }};
}

concur::bench::Register mem{
    [] { return make("sum_memory", "sum of 10^7 ones", sum_part, memory_n(), "queue_sum.py"); }};
concur::bench::Register cpu{[] {
  return make("sum_compute", "10^6 x four dependent modular squarings", squarings_part, compute_n(),
              "sum_compute.py");
}};

}  // namespace
