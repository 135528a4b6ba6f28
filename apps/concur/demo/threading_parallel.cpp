// The threading part of the lecture, second half: does a second thread make work faster?
// The sum of 10^7 ones through a Queue (memory-bound) and a compute-bound kernel, each with 1 and
// 2 threads, beside a hand-written std::thread split (the machine's limit) and CPython's threads.
#include <fmt/format.h>
#include <concur/queue.hpp>
#include <concur/threading.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "kernels.hpp"
#include "machine.hpp"
#include "sections.hpp"

namespace concur::cli::demo {

namespace th = concur::threading;

namespace {

constexpr int kRepetitions = 5;  // C++ times are the median of this many runs, interleaved

// Runs every variant kRepetitions times, interleaved, and returns each one's median seconds.
std::vector<double> medians(const std::vector<std::function<void()>>& variants) {
  std::vector<std::vector<double>> times(variants.size());
  for (int r = 0; r < kRepetitions; ++r) {
    for (std::size_t v = 0; v < variants.size(); ++v) times[v].push_back(seconds_of(variants[v]));
  }
  std::vector<double> out;
  for (auto& t : times) {
    std::sort(t.begin(), t.end());
    out.push_back(t[t.size() / 2]);
  }
  return out;
}

// The lecture's sum: each of `threads` threads sums its slice and puts it into a Queue.
std::int64_t queue_sum(const std::vector<std::int64_t>& ones, std::size_t threads) {
  concur::queue::Queue<std::int64_t> partials;
  std::vector<th::Thread> workers;
  for (std::size_t i = 0; i < threads; ++i) {
    const Slice s = slice_of(ones.size(), threads, i);
    workers.emplace_back([&partials, &ones, s] {
      partials.put(sum_range(ones.data() + s.begin, ones.data() + s.end));
    });
  }
  for (auto& w : workers) w.start();
  for (auto& w : workers) w.join();
  std::int64_t total = 0;
  for (std::size_t i = 0; i < threads; ++i) total += partials.get();
  return total;
}

// The same with bare std::thread and no queue: what the hardware allows.
std::int64_t raw_sum(const std::vector<std::int64_t>& ones) {
  std::int64_t parts[2] = {0, 0};
  std::thread second([&] {
    const Slice s = slice_of(ones.size(), 2, 1);
    parts[1] = sum_range(ones.data() + s.begin, ones.data() + s.end);
  });
  const Slice s = slice_of(ones.size(), 2, 0);
  parts[0] = sum_range(ones.data() + s.begin, ones.data() + s.end);
  second.join();
  return parts[0] + parts[1];
}

// The compute kernel on `threads` concur threads; thread i starts from seed i + 1 (as the twin).
std::uint64_t thread_compute(std::size_t steps, std::size_t threads) {
  std::vector<std::uint64_t> results(threads);
  std::vector<th::Thread> workers;
  for (std::size_t i = 0; i < threads; ++i) {
    workers.emplace_back(
        [&results, i, steps, threads] { results[i] = lcg_steps(i + 1, steps / threads); });
  }
  for (auto& w : workers) w.start();
  for (auto& w : workers) w.join();
  std::uint64_t total = 0;
  for (const auto r : results) total += r;
  return total;
}

std::uint64_t raw_compute(std::size_t steps) {
  std::uint64_t second_result = 0;
  std::thread second([&] { second_result = lcg_steps(2, steps / 2); });
  const std::uint64_t first = lcg_steps(1, steps / 2);
  second.join();
  return first + second_result;
}

std::string speedup_line(const std::string& who, double one, double two) {
  return fmt::format("{:<36} {:.2f}x", who + ": 2 threads vs 1", one / two);
}

void memory_bound(Context& ctx) {
  const std::size_t n = ctx.sizes.ones;
  ctx.report.experiment(
      fmt::format("the sum of {} ones, split over N threads that report through a Queue", n),
      "memory-bound: the threads mostly wait for RAM, so a second one has little to add");
  ctx.report.code(
      "concur::queue::Queue<std::int64_t> partials;\n"
      "th::Thread t([&] { partials.put(sum(slice)); });  ...  total += partials.get();");
  const std::vector<std::int64_t> ones(n, 1);
  std::int64_t one_total = 0, two_total = 0, raw_total = 0;
  const auto t =
      medians({[&] { one_total = queue_sum(ones, 1); }, [&] { two_total = queue_sum(ones, 2); },
               [&] { raw_total = raw_sum(ones); }});
  const auto args = [&](int threads) {
    return std::vector<std::string>{std::to_string(n), std::to_string(threads)};
  };
  const auto py_one = ctx.twin("queue_sum", args(1));
  ctx.report.timed({.id = "sum_queue_1_thread",
                    .title = "sum of ones, 1 thread + Queue",
                    .cpp_seconds = t[0],
                    .cpp_result = std::to_string(one_total),
                    .python = py_one});
  const auto py_two = ctx.twin("queue_sum", args(2));
  ctx.report.timed({.id = "sum_queue_2_threads",
                    .title = "sum of ones, 2 threads + Queue",
                    .cpp_seconds = t[1],
                    .cpp_result = std::to_string(two_total),
                    .python = py_two});
  ctx.report.timed({.id = "sum_raw_2_threads",
                    .title = "sum of ones, 2 bare std::threads",
                    .cpp_seconds = t[2],
                    .cpp_result = std::to_string(raw_total)});
  std::string lines = speedup_line("concur threads", t[0], t[1]) + "\n" +
                      speedup_line("hand-written std::thread split", t[0], t[2]);
  if (py_one && py_two)
    lines += "\n" + speedup_line("CPython threads", py_one->seconds, py_two->seconds);
  ctx.report.result(lines);
  ctx.report.lesson(fmt::format(
      "the limit here is the machine, not the language: {} MB of ones stream from RAM, and "
      "the bare split gets no more than concur's threads ({})",
      n * sizeof(std::int64_t) / 1'000'000, machine_summary()));
}

void compute_bound(Context& ctx) {
  const std::size_t steps = ctx.sizes.compute_steps;
  ctx.report.experiment(
      fmt::format("a compute-bound kernel: {} steps of x = (x * 1103515245 + 12345) & 0x7FFFFFFF",
                  steps),
      "CPU-bound: C++ threads run truly in parallel; CPython's threads take turns under the GIL");
  std::uint64_t one = 0, two = 0, raw = 0;
  const auto t =
      medians({[&] { one = thread_compute(steps, 1); }, [&] { two = thread_compute(steps, 2); },
               [&] { raw = raw_compute(steps); }});
  const auto args = [&](int threads) {
    return std::vector<std::string>{std::to_string(steps), std::to_string(threads)};
  };
  const auto py_one = ctx.twin("compute_threads", args(1));
  ctx.report.timed({.id = "compute_1_thread",
                    .title = "compute kernel, 1 thread",
                    .cpp_seconds = t[0],
                    .cpp_result = std::to_string(one),
                    .python = py_one});
  const auto py_two = ctx.twin("compute_threads", args(2));
  ctx.report.timed({.id = "compute_2_threads",
                    .title = "compute kernel, 2 threads",
                    .cpp_seconds = t[1],
                    .cpp_result = std::to_string(two),
                    .python = py_two});
  ctx.report.timed({.id = "compute_raw_2_threads",
                    .title = "compute kernel, 2 bare std::threads",
                    .cpp_seconds = t[2],
                    .cpp_result = std::to_string(raw)});
  std::string lines = speedup_line("concur threads", t[0], t[1]) + "\n" +
                      speedup_line("hand-written std::thread split", t[0], t[2]);
  if (py_one && py_two)
    lines += "\n" + speedup_line("CPython threads", py_one->seconds, py_two->seconds);
  ctx.report.result(lines);
  const double limit = t[0] / t[2];
  std::string lesson =
      "C++ threads share the work; CPython's GIL lets one thread compute at a time";
  if (limit < 1.6 && usable_cpus() >= 2) {
    lesson += fmt::format(
        ". Even bare threads reach only {:.2f}x here: this machine's CPUs are not two full cores "
        "(cloud vCPUs are often hyper-threads of one core)",
        limit);
  }
  ctx.report.lesson(lesson);
}

}  // namespace

void threading_parallel(Context& ctx) {
  memory_bound(ctx);
  compute_bound(ctx);
}

}  // namespace concur::cli::demo
