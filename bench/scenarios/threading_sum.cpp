// Scenarios sum_memory (sum of 10^7 ones) and sum_compute (a kernel the compiler cannot fold):
// one thread, a hand-written 2-thread split (the machine's limit), concur Threads reporting
// through a concur Queue (the lecture's shape), and CPython with 1 and 2 threads.
#include <cstdint>
#include <thread>
#include <utility>
#include <vector>

#include "concur/queue.hpp"
#include "concur/threading.hpp"
#include "harness/harness.hpp"

namespace {

using concur::bench::time_it;
using Kernel = std::int64_t (*)(const std::vector<std::int64_t>&, std::size_t, std::size_t);

std::int64_t sum_ones(const std::vector<std::int64_t>& v, std::size_t b, std::size_t e) {
  std::int64_t s = 0;
  for (std::size_t i = b; i < e; ++i) s += v[i];
  return s;
}

// Four dependent modular squarings per element: no closed form, no vectorisable shortcut.
std::int64_t compute(const std::vector<std::int64_t>&, std::size_t b, std::size_t e) {
  std::int64_t s = 0;
  for (std::size_t i = b; i < e; ++i) {
    std::uint64_t x = i;
    for (int k = 0; k < 4; ++k) x = (x * x + 1) % 1000003;
    s += static_cast<std::int64_t>(x);
  }
  return s;
}

std::size_t memory_n() { return concur::bench::quick() ? 1'000'000 : 10'000'000; }
std::size_t compute_n() { return concur::bench::quick() ? 100'000 : 1'000'000; }

double raw_1(Kernel k, const std::vector<std::int64_t>& v, std::size_t n) {
  std::int64_t s = 0;
  const double t = time_it([&] { s = k(v, 0, n); });
  concur::bench::do_not_optimize(s);
  return t;
}

double raw_2(Kernel k, const std::vector<std::int64_t>& v, std::size_t n) {
  std::int64_t s = 0;
  const double t = time_it([&] {
    // Two worker threads while this one waits: when the caller computes a half itself, Linux
    // often starts the new thread on the caller's CPU and migrates it only after milliseconds,
    // which hides the second CPU from a split this short.
    std::int64_t a = 0, b = 0;
    std::thread t0([&] { a = k(v, 0, n / 2); });
    std::thread t1([&] { b = k(v, n / 2, n); });
    t0.join();
    t1.join();
    s = a + b;  // in slice order
  });
  concur::bench::do_not_optimize(s);
  return t;
}

double concur_2(Kernel k, const std::vector<std::int64_t>& v, std::size_t n) {
  std::int64_t s = 0;
  const double t = time_it([&] {
    concur::queue::Queue<std::pair<int, std::int64_t>> results;
    concur::threading::Thread t0([&] { results.put({0, k(v, 0, n / 2)}); });
    concur::threading::Thread t1([&] { results.put({1, k(v, n / 2, n)}); });
    t0.start();
    t1.start();
    std::int64_t part[2];
    for (int i = 0; i < 2; ++i) {
      auto [index, value] = results.get();
      part[index] = value;
    }
    t0.join();
    t1.join();
    s = part[0] + part[1];  // in slice order
  });
  concur::bench::do_not_optimize(s);
  return t;
}

concur::bench::Scenario make(std::string id, std::string description, Kernel k, std::size_t n,
                             std::string script) {
  auto data = std::make_shared<std::vector<std::int64_t>>();
  const bool memory = id == "sum_memory";
  using namespace concur::bench;
  return Scenario{.id = id,
                  .description = description,
                  .reference = "raw_1_thread",
                  .impls = {{"raw_1_thread", [=] { return raw_1(k, *data, n); }},
                            {"raw_2_threads", [=] { return raw_2(k, *data, n); }},
                            {"concur_2_threads", [=] { return concur_2(k, *data, n); }},
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
    [] { return make("sum_memory", "sum of 10^7 ones", sum_ones, memory_n(), "sum_memory.py"); }};
concur::bench::Register cpu{[] {
  return make("sum_compute", "10^6 x four dependent modular squarings", compute, compute_n(),
              "sum_compute.py");
}};

}  // namespace
